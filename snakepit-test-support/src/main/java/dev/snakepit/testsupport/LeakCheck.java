package dev.snakepit.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one leak check of the project's tests (and, through {@code SnakepitLeakCheck}, of users'
 * tests). Fails a test class that leaves a child process (a Python worker, or anything a tool spawned), a
 * library thread ({@code snakepit-*}) or a pool's temporary run directory behind after its last test. Compares with what was running
 * before its first test, and waits a bounded time (system property {@value #TIMEOUT_PROPERTY}),
 * since processes and threads end asynchronously after a pool closes. Leaked processes are killed
 * after the check, so one leak does not spill into the next class.
 *
 * <p>Use it with {@code @ExtendWith(LeakCheck.class)} on test classes that start pools.
 */
public class LeakCheck implements BeforeAllCallback, AfterAllCallback {
  /** Thread names the library uses. */
  public static final String THREAD_PREFIX = "snakepit-";

  /** System property: how long (ms) to wait for processes and threads to end before failing (default 10000). */
  public static final String TIMEOUT_PROPERTY = "snakepit.junit.leakTimeoutMillis";

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LeakCheck.class);

  private record Baseline(Set<Long> processes, Set<Thread> threads, Set<String> runDirectories) {}

  @Override
  public final void beforeAll(ExtensionContext context) {
    context.getStore(NAMESPACE).put("baseline", new Baseline(
        ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).collect(Collectors.toSet()),
        libraryThreads(), runDirectories()));
  }

  @Override
  public final void afterAll(ExtensionContext context) {
    var baseline = context.getStore(NAMESPACE).remove("baseline", Baseline.class);
    if (baseline == null) {
      return;
    }
    var bound = Duration.ofMillis(Long.getLong(TIMEOUT_PROPERTY, 10_000));
    long deadline = System.nanoTime() + bound.toNanos();
    List<ProcessHandle> processes;
    List<Thread> threads;
    List<String> directories;
    while (true) {
      processes = newProcesses(baseline);
      threads = newThreads(baseline);
      directories = runDirectories().stream().filter(d -> !baseline.runDirectories().contains(d)).sorted().toList();
      if ((processes.isEmpty() && threads.isEmpty() && directories.isEmpty()) || System.nanoTime() - deadline > 0) {
        break;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    if (processes.isEmpty() && threads.isEmpty() && directories.isEmpty()) {
      return;
    }
    var message = new StringBuilder(context.getDisplayName()).append(" left Snakepit resources running ")
        .append(bound.toMillis()).append(" ms after its last test:");
    for (var process : processes) {
      message.append("\n  process ").append(process.pid()).append(": ").append(process.info().commandLine().orElse("?"));
    }
    for (var thread : threads) {
      message.append("\n  thread ").append(thread.getName());
    }
    for (var directory : directories) {
      message.append("\n  run directory ").append(directory);
    }
    message.append("\nClose every Snakepit you start (try-with-resources), and every ToolStream.");
    processes.forEach(LeakCheck::kill);
    throw new AssertionError(message.toString());
  }

  private static List<ProcessHandle> newProcesses(Baseline baseline) {
    return ProcessHandle.current().descendants()
        .filter(ProcessHandle::isAlive)
        .filter(p -> !baseline.processes().contains(p.pid()))
        .toList();
  }

  private static List<Thread> newThreads(Baseline baseline) {
    var threads = new ArrayList<Thread>();
    for (var thread : libraryThreads()) {
      if (!baseline.threads().contains(thread)) {
        threads.add(thread);
      }
    }
    threads.sort((a, b) -> a.getName().compareTo(b.getName()));
    return threads;
  }

  private static Set<Thread> libraryThreads() {
    Set<Thread> threads = Collections.newSetFromMap(new IdentityHashMap<>());
    for (var thread : Thread.getAllStackTraces().keySet()) {
      if (thread.isAlive() && thread.getName().startsWith(THREAD_PREFIX)) {
        threads.add(thread);
      }
    }
    return threads;
  }

  /** This JVM's pool run directories: {@code <tmp>/snakepit-<pool>-<jvm pid>-<n>-...}. */
  private static Set<String> runDirectories() {
    var tmp = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
    var mine = "-" + ProcessHandle.current().pid() + "-";
    try (var entries = java.nio.file.Files.list(tmp)) {
      return entries.map(p -> p.getFileName().toString())
          .filter(name -> name.startsWith(THREAD_PREFIX) && name.contains(mine))
          .collect(Collectors.toSet());
    } catch (java.io.IOException e) {
      return Set.of();
    }
  }

  private static void kill(ProcessHandle process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> process).join();
  }
}
