package dev.snakepit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails the test class when it leaves a child process (a Python worker), a library
 * thread ({@code snakepit-*}) or a pool run directory behind. Processes and threads end
 * asynchronously after close, so each gets a bounded wait.
 */
final class NoLeaks implements BeforeAllCallback, AfterAllCallback {
  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoLeaks.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(NS).put("runDirs", runDirectories());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    waitUntil(() -> ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive));
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
            .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList())
        .as("child processes left behind").isEmpty();

    waitUntil(() -> snakepitThreads().isEmpty());
    assertThat(snakepitThreads()).as("library threads left behind").isEmpty();

    @SuppressWarnings("unchecked")
    var before = (Set<Path>) context.getStore(NS).get("runDirs");
    var leftover = runDirectories();
    leftover.removeAll(before);
    assertThat(leftover).as("pool run directories left behind").isEmpty();
  }

  private static void waitUntil(BooleanSupplier condition) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
    }
  }

  private static List<String> snakepitThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith("snakepit-"))
        .sorted()
        .toList();
  }

  private static Set<Path> runDirectories() {
    try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      // Only this JVM's pools: run directories are named snakepit-<pool>-<pid>-<n>-...
      var mine = "-" + ProcessHandle.current().pid() + "-";
      return entries.map(p -> p.getFileName().toString())
          .filter(name -> name.startsWith("snakepit-") && name.contains(mine))
          .map(name -> Path.of(System.getProperty("java.io.tmpdir"), name))
          .collect(Collectors.toSet());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
