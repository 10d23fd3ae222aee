package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Managed environments built for real (python -m venv + pip; the bundled wheel brings grpcio and protobuf). */
@ExtendWith(LeakCheck.class)
class PythonEnvironmentIntegrationTest {
  @TempDir
  Path cache;

  /** Removes the venvs first: JUnit warns about each symlink to the base interpreter it deletes. */
  @AfterEach
  void deleteEnvironments() throws Exception {
    try (var paths = Files.walk(cache)) {
      for (var path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static Path basePython() {
    return SnakepitConfig.defaults().python();
  }

  @Test
  void shouldBuildTheEnvironmentOnceWhenPoolsAskAtOnceAndRunWorkersInIt() throws Exception {
    var environment = PythonEnvironment.builder()
        .baseInterpreter(basePython())
        .cacheDirectory(cache)
        .installer(PythonEnvironment.Installer.PIP)
        .build();
    assertThat(environment.isReady()).isFalse();

    var gate = new CountDownLatch(1);
    var futures = new ArrayList<CompletableFuture<Path>>();
    try (var executor = Executors.newFixedThreadPool(2)) {
      for (int i = 0; i < 2; i++) {
        futures.add(CompletableFuture.supplyAsync(() -> {
          try {
            gate.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return environment.prepare();
        }, executor));
      }
      gate.countDown();
      assertThat(futures.stream().map(CompletableFuture::join).distinct()).hasSize(1);
    }
    assertThat(environment.isReady()).isTrue();
    try (var entries = Files.list(cache)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(environment.directory().getFileName().toString(),
              environment.directory().getFileName() + ".lock");
    }

    var config = TestPools.config().pythonEnvironment(environment).build();
    try (var pit = Snakepit.start(config)) {
      assertThat(pit.config().python()).isEqualTo(environment.directory().resolve("bin/python"));
      var where = pit.execute("ping", Map.of()).asJson();
      assertThat(where.path("message").asText()).isEqualTo("pong");
    }
  }

  @Test
  void shouldFailStartWithTheInstallerOutputWhenAnOfflineInstallCannotBeSatisfied() throws Exception {
    var emptyWheels = Files.createDirectories(cache.resolve("wheels-offline"));
    var environment = PythonEnvironment.builder()
        .baseInterpreter(basePython())
        .cacheDirectory(cache.resolve("envs"))
        .installer(PythonEnvironment.Installer.PIP)
        .offlineWheels(emptyWheels)
        .requirements("snakepit-test-no-such-package==1.0")
        .build();
    var config = TestPools.config().pythonEnvironment(environment).build();

    assertThatThrownBy(() -> Snakepit.start(config))
        .isInstanceOfSatisfying(StartupFailedException.class, e -> {
          assertThat(e.getMessage()).contains("could not be built").contains("exited with code");
          assertThat(e.stderrTail()).containsIgnoringCase("no matching distribution");
        });
    assertThat(environment.isReady()).isFalse();
    assertThat(environment.directory()).doesNotExist();
  }

  @Test
  void shouldRejectOptionsPassedAsRequirements() {
    assertThatThrownBy(() -> PythonEnvironment.builder().requirements("--index-url=http://example"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--index-url=http://example");
  }
}
