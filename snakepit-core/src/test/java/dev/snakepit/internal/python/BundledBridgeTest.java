package dev.snakepit.internal.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundledBridgeTest {
  @TempDir
  Path cache;

  @Test
  void shouldCarryTheWheelOfTheWholePythonPackage() throws Exception {
    var bridge = BundledBridge.get();
    assertThat(bridge).as("the snakepit-python jar is on the class path").isNotNull();
    assertThat(bridge.wheelName()).startsWith("snakepit_bridge-" + bridge.version() + "-").endsWith(".whl");
    var directory = bridge.unpacked(cache);
    assertThat(directory.resolve("snakepit_bridge/__init__.py")).isRegularFile();
    assertThat(directory.resolve("snakepit_bridge/server.py")).isRegularFile();
    assertThat(bridge.wheelFile(cache)).isRegularFile().hasFileName(bridge.wheelName());
  }

  @Test
  void shouldUnpackOnceWhenManyThreadsAskAtOnce() throws Exception {
    var bridge = BundledBridge.get();
    var gate = new CountDownLatch(1);
    var futures = new ArrayList<CompletableFuture<Path>>();
    try (var executor = Executors.newFixedThreadPool(6)) {
      for (int i = 0; i < 6; i++) {
        futures.add(CompletableFuture.supplyAsync(() -> {
          try {
            gate.await(10, TimeUnit.SECONDS);
            return bridge.unpacked(cache);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }, executor));
      }
      gate.countDown();
      var paths = futures.stream().map(CompletableFuture::join).distinct().toList();
      assertThat(paths).hasSize(1);
    }
    try (var entries = Files.list(cache.resolve("python"))) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .as("no temporary directory is left behind")
          .containsExactlyInAnyOrder(".lock", "snakepit_bridge-" + bridge.id());
    }
  }
}
