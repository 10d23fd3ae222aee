package dev.snakepit.internal.process;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** What the pool needs of a worker's process; {@link WorkerProcess} is the real one, tests use fakes. */
public interface WorkerHandle {
  /** The OS process id. */
  long pid();

  /** Completes when the process exits, with its exit value. */
  CompletableFuture<Integer> onExit();

  /** SIGKILL now, with its descendants. */
  void kill();

  /** SIGTERM, up to {@code grace} to exit, then SIGKILL; returns once it is gone. */
  void stop(Duration grace);

  /** The last lines it wrote to stderr. */
  String stderrTail();

  /** Resident memory of it and its descendants in bytes, or -1 where unknown. */
  long residentMemory();

  /** Waits (bounded) until its output has been read, so the stderr tail is complete. */
  void awaitPumps();

  /**
   * The remote worker incarnation this handle stands for (its endpoint and incarnation id), which a
   * {@link dev.snakepit.SessionDirectory} records; null for a local process.
   */
  default dev.snakepit.SessionDirectory.WorkerIncarnation remoteIncarnation() {
    return null;
  }

  /**
   * Asks the worker for the Python stacks of all its threads (SIGUSR2: faulthandler) and waits up
   * to {@code wait} for them on its stderr; null when it gave none.
   */
  default String dumpStacks(Duration wait) {
    return null;
  }

  /**
   * Once it died by SIGKILL: why the kernel's OOM killer is the likely killer (its memory cgroup
   * counted an OOM kill while it ran), or null without such evidence.
   */
  default String oomKillEvidence() {
    return null;
  }
}
