package dev.snakepit.internal.process;

import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.telemetry.WorkerOutput;
import dev.snakepit.internal.transport.ReadyFile;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Python worker process: spawn, readiness via the ready file, output pumps with a stderr tail,
 * and termination (SIGTERM, grace, then SIGKILL of the process and its descendants).
 */
public final class WorkerProcess implements WorkerHandle {
  private static final Logger LOG = LoggerFactory.getLogger("dev.snakepit.worker");

  private final LaunchSpec spec;
  private final Process process;
  private final OutputTail stderrTail = new OutputTail(60, 8192);
  private final Thread stdoutPump;
  private final Thread stderrPump;
  private final long startNanos = System.nanoTime();
  /** Set while a stack dump is asked for: the stderr pump hands it each line. */
  private volatile StackDump stackDump;
  /** The memory cgroup it runs in (read once ready, where it stays) and its OOM-kill count then. */
  private volatile MemoryCgroup memoryCgroup;
  private volatile long oomKillsWhenReady = -1;
  private String oomKillEvidence;
  private boolean oomKillChecked;

  private WorkerProcess(LaunchSpec spec, Process process, String poolName, WorkerOutput.Settings output) {
    this.spec = spec;
    this.process = process;
    // Worker ids start with the pool name, so the threads read snakepit-<pool>-w<n>-g<n>-stdout.
    this.stdoutPump = NamedThreadFactory.start(spec.workerId(), "stdout",
        () -> pump(process.getInputStream(), null, new WorkerOutput(poolName, spec.workerId(), "stdout", output)));
    this.stderrPump = NamedThreadFactory.start(spec.workerId(), "stderr",
        () -> pump(process.getErrorStream(), stderrTail, new WorkerOutput(poolName, spec.workerId(), "stderr", output)));
  }

  /** Spawns the process, forwarding its output with the default settings. */
  public static WorkerProcess start(LaunchSpec spec, String poolName) {
    return start(spec, poolName, WorkerOutput.Settings.DEFAULT);
  }

  /** Spawns the process. Call from a long-lived thread: Linux parent-death signals follow the spawning thread. */
  public static WorkerProcess start(LaunchSpec spec, String poolName, WorkerOutput.Settings output) {
    var builder = new ProcessBuilder(spec.command());
    builder.environment().putAll(spec.environment());
    if (spec.workingDirectory() != null) {
      builder.directory(spec.workingDirectory().toFile());
    }
    // stdin stays an open pipe: the worker treats EOF on it as "the host is gone".
    builder.redirectInput(ProcessBuilder.Redirect.PIPE);
    try {
      return new WorkerProcess(spec, builder.start(), poolName, output);
    } catch (IOException e) {
      throw new StartupFailedException(spec.workerId(),
          "cannot run '" + spec.command().getFirst() + "': " + e.getMessage()
              + ". Set the Python interpreter in the config (python(...)), SNAKEPIT_PYTHON, or run ./snakepit once to create .venv.",
          null, null, e);
    }
  }

  /** Wraps a worker process started elsewhere (a worker the fork server forked). */
  static WorkerProcess adopt(LaunchSpec spec, Process process, String poolName, WorkerOutput.Settings output) {
    return new WorkerProcess(spec, process, poolName, output);
  }

  /**
   * Waits until the worker wrote its ready file and returns what it announced there. Fails with
   * {@link StartupFailedException} (with the stderr tail) when the process exits first or the
   * timeout passes.
   */
  public ReadyFile awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseNanos = TimeUnit.MICROSECONDS.toNanos(200);
    while (true) {
      var ready = readReadyFile();
      if (ready != null) {
        noteMemoryCgroup();
        return ready;
      }
      if (!process.isAlive()) {
        awaitPumps();
        throw new StartupFailedException(spec.workerId(),
            "the process exited with code " + process.exitValue() + " before it was ready" + exitHint(process.exitValue()),
            process.exitValue(), stderrTail.text(), null);
      }
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        throw new StartupFailedException(spec.workerId(),
            "not ready within the start-up timeout of " + timeout.toMillis() + " ms (no ready file at " + spec.readyFile()
                + "). Is the entry a Snakepit-compatible worker? Raise startupTimeout if the adapter loads slowly.",
            null, stderrTail.text(), null);
      }
      // A short, growing pause capped at 1 ms: a forked worker is ready ~20 ms after the fork, and
      // every millisecond between its ready file and our noticing it is start-up time; a check is
      // one failed file open, so even a pool of cold workers polling costs next to nothing.
      LockSupport.parkNanos(Math.min(remaining, pauseNanos));
      pauseNanos = Math.min(pauseNanos * 2, TimeUnit.MILLISECONDS.toNanos(1));
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new StartupFailedException(spec.workerId(), "interrupted while waiting for the worker", null, stderrTail.text(), null);
      }
    }
  }

  private static String exitHint(int code) {
    return switch (code) {
      case 3 -> " (the adapter could not be imported; see the traceback below)";
      case 4 -> " (the adapter's initialize() raised; see the traceback below)";
      case 5 -> " (the worker could not reach the host's callback server)";
      case 2 -> " (bad command line: check the entry and extra arguments)";
      // Our worker never exits before it is ready without saying why: likely not Python at all.
      case 0 -> " without a word: is the configured interpreter a Python 3.10+? Set python(...), --python or SNAKEPIT_PYTHON";
      default -> "";
    };
  }

  private ReadyFile readReadyFile() {
    try {
      var text = Files.readString(spec.readyFile(), StandardCharsets.UTF_8).trim();
      if (text.isEmpty()) {
        return null;
      }
      var ready = ReadyFile.parse(text);
      if (ready.endpoints().isEmpty()) {
        throw new IllegalArgumentException("it announces no endpoint: '" + text + "'");
      }
      return ready;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | IllegalArgumentException e) {
      throw new StartupFailedException(spec.workerId(), "unreadable ready file " + spec.readyFile() + ": " + e.getMessage(),
          null, stderrTail.text(), e);
    }
  }

  private void pump(InputStream stream, OutputTail tail, WorkerOutput output) {
    try (var reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        // Forwarded to SLF4J; a structured record comes back rendered as text for the tail.
        var text = output.accept(line);
        var dump = stackDump;
        if (dump != null && tail != null) {
          dump.line(line);
        }
        if (tail != null) {
          if (text == line) {
            tail.add(line);
          } else {
            text.lines().forEach(tail::add);
          }
        }
      }
    } catch (IOException e) {
      // The stream closes when the process dies; nothing is lost that matters.
    }
  }

  private void noteMemoryCgroup() {
    var cgroup = MemoryCgroup.of(process.pid());
    if (cgroup != null) {
      oomKillsWhenReady = cgroup.oomKills();
      memoryCgroup = cgroup;
    }
  }

  @Override
  public synchronized String dumpStacks(Duration wait) {
    if (!process.isAlive()) {
      return null;
    }
    var dump = new StackDump();
    stackDump = dump;
    try {
      return StackDump.signal(process.pid()) ? dump.await(wait) : null;
    } finally {
      stackDump = null;
    }
  }

  @Override
  public synchronized String oomKillEvidence() {
    if (!oomKillChecked && !process.isAlive()) {
      oomKillChecked = true;
      var cgroup = memoryCgroup;
      long before = oomKillsWhenReady;
      // 128 + 9: SIGKILL, the only way the OOM killer ends a process.
      if (cgroup != null && before >= 0 && process.exitValue() == 137) {
        long after = cgroup.oomKills();
        if (after > before) {
          oomKillEvidence = "the kernel's OOM killer: the oom_kill count of its memory cgroup (" + cgroup.counterFile()
              + ") went from " + before + " to " + after + " while it ran";
        }
      }
    }
    return oomKillEvidence;
  }

  /** Waits (bounded) until the output pumps have read everything the process wrote. */
  @Override
  public void awaitPumps() {
    try {
      stderrPump.join(1000);
      stdoutPump.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The worker id. */
  public String workerId() {
    return spec.workerId();
  }

  /** The OS process id. */
  @Override
  public long pid() {
    return process.pid();
  }

  /** The OS process handle. */
  public ProcessHandle handle() {
    return process.toHandle();
  }

  /**
   * Resident memory of the worker and its descendants in bytes, read from /proc (Linux), or -1
   * where /proc is not available.
   */
  @Override
  public long residentMemory() {
    long total = rss(process.pid());
    if (total < 0) {
      return -1;
    }
    for (var child : process.descendants().toList()) {
      total += Math.max(0, rss(child.pid()));
    }
    return total;
  }

  private static long rss(long pid) {
    try {
      for (var line : Files.readAllLines(java.nio.file.Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          var kib = line.substring(6).trim().split("\\s+")[0];
          return Long.parseLong(kib) * 1024;
        }
      }
      return 0;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /** Whether the process is running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Completes when the process exits, with its exit value. */
  @Override
  public CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  /** The exit value, or null while running. */
  public Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  /** The last lines the process wrote to stderr. */
  @Override
  public String stderrTail() {
    return stderrTail.text();
  }

  /** Time since spawn. */
  public Duration age() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /**
   * Stops the process: SIGTERM, up to the grace period for it to exit, then SIGKILL of its
   * descendants and itself. Returns once the process is gone and its output is drained.
   */
  @Override
  public void stop(Duration grace) {
    if (process.isAlive()) {
      var descendants = process.descendants().toList();
      process.destroy();
      try {
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS) && !grace.isZero()) {
          LOG.warn("Worker {} (pid {}) did not exit within {} ms of SIGTERM; killing it", spec.workerId(), process.pid(), grace.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      kill(descendants);
    }
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // Already closed by the process's death.
    }
    awaitPumps();
    try {
      Files.deleteIfExists(spec.readyFile());
    } catch (IOException e) {
      LOG.debug("Could not delete {}", spec.readyFile(), e);
    }
  }

  /** SIGKILL now: the process, its descendants then and now. */
  @Override
  public void kill() {
    kill(process.descendants().toList());
  }

  private void kill(java.util.List<ProcessHandle> earlierDescendants) {
    var all = new java.util.ArrayList<>(earlierDescendants);
    process.descendants().forEach(all::add);
    all.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
