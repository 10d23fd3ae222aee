package dev.snakepit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails the test class when it leaves a child process, a library thread ({@code snakepit-*}) or a
 * pool run directory behind. Waits a bounded time for each, since processes and threads end
 * asynchronously after close.
 */
public final class NoLeaks implements BeforeAllCallback, AfterAllCallback {
  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoLeaks.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(NS).put("runDirs", runDirectories());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Waiting.until("no child processes remain", BOUND,
        () -> ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive));
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).map(NoLeaks::describe).toList())
        .as("child processes left behind").isEmpty();

    Waiting.until("no snakepit threads remain", BOUND, () -> snakepitThreads().isEmpty());
    assertThat(snakepitThreads()).as("library threads left behind").isEmpty();

    @SuppressWarnings("unchecked")
    var before = (Set<Path>) context.getStore(NS).get("runDirs");
    var leftover = runDirectories();
    leftover.removeAll(before);
    assertThat(leftover).as("pool run directories left behind").isEmpty();
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
    var tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (Stream<Path> entries = Files.list(tmp)) {
      // Run directories are named snakepit-<pool>-<jvm pid>-...: look only at this JVM's.
      var pid = "-" + ProcessHandle.current().pid() + "-";
      return entries.filter(p -> p.getFileName().toString().startsWith("snakepit-"))
          .filter(p -> p.getFileName().toString().contains(pid))
          .collect(Collectors.toSet());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String describe(ProcessHandle process) {
    return process.pid() + " " + process.info().commandLine().orElse("?");
  }
}
