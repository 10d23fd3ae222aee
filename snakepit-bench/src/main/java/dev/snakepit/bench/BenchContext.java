package dev.snakepit.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * What every scenario shares: the interpreter, the unpacked Python helpers, a private run directory
 * (sockets, logs), the budget, and a registry of every process and pool the run starts, so that
 * {@link #close()} (or the JVM shutdown hook, on Ctrl-C) leaves nothing behind.
 */
final class BenchContext implements AutoCloseable {
  private static final List<String> HELPERS =
      List.of("__init__.py", "adapter.py", "grpc_floor.py", "socket_floor.py", "py4j_worker.py", "heavy.py");

  final Path python;
  final Path runDirectory;
  final Path helperRoot;
  final Budget budget;
  final boolean quick;
  final PrintStream progress;
  final Map<String, String> helperEnvironment;
  private final List<HelperProcess> helpers = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
  private final Thread hook;
  private int counter;

  BenchContext(Path python, Budget budget, boolean quick, PrintStream progress, Map<String, String> helperEnvironment) {
    this.python = python;
    this.budget = budget;
    this.quick = quick;
    this.progress = progress;
    this.helperEnvironment = Map.copyOf(helperEnvironment);
    try {
      // Short path: Unix socket paths are limited to ~107 bytes.
      this.runDirectory = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "spbench-");
      this.helperRoot = runDirectory.resolve("py");
      var pkg = helperRoot.resolve("snakepit_bench");
      Files.createDirectories(pkg);
      for (var file : HELPERS) {
        try (InputStream in = BenchContext.class.getResourceAsStream("/snakepit_bench_python/snakepit_bench/" + file)) {
          if (in == null) {
            throw new IllegalStateException("resource snakepit_bench/" + file + " missing from the bench jar");
          }
          Files.copy(in, pkg.resolve(file));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the benchmark's run directory", e);
    }
    this.hook = new Thread(this::killEverything, "snakepit-bench-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** A fresh path in the run directory (for sockets and logs). */
  synchronized Path newPath(String prefix, String suffix) {
    return runDirectory.resolve(prefix + (++counter) + suffix);
  }

  /** Spawns a helper script ({@code snakepit_bench/<script>}) without waiting for it. */
  HelperProcess spawnHelper(String name, String script, List<String> arguments) {
    var command = new ArrayList<String>();
    command.add(python.toString());
    command.add(helperRoot.resolve("snakepit_bench").resolve(script).toString());
    command.addAll(arguments);
    var env = new HashMap<>(helperEnvironment);
    env.put("PYTHONUNBUFFERED", "1");
    var helper = HelperProcess.spawn(name, command, env, newPath(name.replaceAll("\\W", "_") + "-", ".log"));
    helpers.add(helper);
    return helper;
  }

  /** Spawns a helper and waits until it serves. */
  HelperProcess startHelper(String name, String script, List<String> arguments) {
    var helper = spawnHelper(name, script, arguments);
    try {
      helper.awaitReady(Duration.ofSeconds(30));
      return helper;
    } catch (RuntimeException e) {
      stop(helper);
      throw e;
    }
  }

  /** Stops a helper now. */
  void stop(HelperProcess helper) {
    helpers.remove(helper);
    helper.close();
  }

  /** Tracks a pool (or anything else) to close if the run ends early. */
  <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  /** Closes a tracked object now. */
  void close(AutoCloseable closeable) {
    closeables.remove(closeable);
    try {
      closeable.close();
    } catch (Exception e) {
      progress.println("  (closing " + closeable + " failed: " + e + ")");
    }
  }

  /** Logs a progress line on the progress stream (stderr). */
  void say(String message) {
    progress.println(message);
    progress.flush();
  }

  private void killEverything() {
    for (var closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        // Best effort on the way out.
      }
    }
    helpers.forEach(HelperProcess::kill);
  }

  @Override
  public void close() {
    for (var closeable : List.copyOf(closeables)) {
      close(closeable);
    }
    for (var helper : List.copyOf(helpers)) {
      stop(helper);
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down; the hook does the rest.
    }
    try (Stream<Path> files = Files.walk(runDirectory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // Leave it: it is in the temp directory.
        }
      });
    } catch (IOException e) {
      // Nothing to clean.
    }
  }
}
