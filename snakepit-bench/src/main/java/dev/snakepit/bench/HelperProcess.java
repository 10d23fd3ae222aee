package dev.snakepit.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Python helper the harness started (a floor server or a Py4J worker). It prints
 * {@code READY <address>} once it serves and exits when its stdin closes; {@link #close()} closes
 * stdin, waits briefly, then kills the process and anything it started.
 */
final class HelperProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final long startNanos;
  private volatile String address;

  private HelperProcess(String name, Process process, Path log, long startNanos) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.startNanos = startNanos;
  }

  /** Spawns the helper; call {@link #awaitReady(Duration)} next. */
  static HelperProcess spawn(String name, List<String> command, Map<String, String> environment, Path log) {
    var builder = new ProcessBuilder(command);
    builder.environment().putAll(environment);
    builder.redirectInput(ProcessBuilder.Redirect.PIPE);
    builder.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    long start = System.nanoTime();
    try {
      return new HelperProcess(name, builder.start(), log, start);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + " (" + command.getFirst() + "): " + e.getMessage(), e);
    }
  }

  /** Waits for the {@code READY <address>} line and returns the address; the rest of stdout is drained. */
  String awaitReady(Duration timeout) {
    var ready = new CompletableFuture<String>();
    Thread.ofPlatform().daemon().name("snakepit-bench-" + name + "-stdout").start(() -> {
      try (var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          if (!ready.isDone() && line.startsWith("READY ")) {
            ready.complete(line.substring("READY ".length()).trim());
          }
        }
      } catch (IOException e) {
        // The process is gone.
      }
      ready.completeExceptionally(new IllegalStateException(name + " exited before it was ready" + logTail()));
    });
    try {
      address = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return address;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(name + " was not ready within " + timeout.toMillis() + " ms" + logTail(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + name, e);
    }
  }

  /** The address from the READY line: a TCP port, or {@code unix:/path}. */
  String address() {
    return address;
  }

  /** Nanoseconds from spawn to now. */
  long ageNanos() {
    return System.nanoTime() - startNanos;
  }

  long pid() {
    return process.pid();
  }

  private String logTail() {
    try {
      var text = Files.readString(log, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        return "";
      }
      var lines = text.lines().toList();
      return ". Its stderr ends with:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    var descendants = process.descendants().toList();
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // Already closed.
    }
    try {
      if (!process.waitFor(2, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    descendants.forEach(ProcessHandle::destroyForcibly);
  }

  /** Kills at once (for the JVM shutdown hook). */
  void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
