package dev.snakepit;

import java.util.Optional;
import java.util.OptionalInt;

/** The worker process died while the call was on it. Carries how it ended and the tail of its stderr. */
public final class WorkerCrashedException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final Integer exitCode;
  private final Integer signal;
  private final String stderrTail;
  private final String oomKillEvidence;

  /** Creates the exception; exitCode and signal may be null when unknown. */
  public WorkerCrashedException(String toolName, String workerId, Integer exitCode, Integer signal, String stderrTail) {
    this(toolName, workerId, exitCode, signal, stderrTail, null);
  }

  /**
   * Creates the exception for a worker the kernel's OOM killer ended, when {@code oomKillEvidence}
   * (what shows it) is not null.
   */
  public WorkerCrashedException(String toolName, String workerId, Integer exitCode, Integer signal, String stderrTail,
      String oomKillEvidence) {
    super(ErrorCode.WORKER_CRASHED, describe(toolName, workerId, exitCode, signal, stderrTail, oomKillEvidence), toolName,
        workerId, null);
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail == null ? "" : stderrTail;
    this.oomKillEvidence = oomKillEvidence;
  }

  private static String describe(String toolName, String workerId, Integer exitCode, Integer signal, String tail,
      String oomKillEvidence) {
    var text = new StringBuilder("Worker ").append(workerId).append(" died");
    if (toolName != null) {
      text.append(" during a call to '").append(toolName).append('\'');
    }
    text.append(": ").append(ExitDescriptions.describe(exitCode, signal));
    if (oomKillEvidence != null) {
      text.append(", by ").append(oomKillEvidence).append(". It ran out of memory: raise the memory limit of the"
          + " workers' cgroup, set maxWorkerMemory to recycle workers before they grow that large, or make one call"
          + " hold less");
    }
    text.append('.');
    if (tail != null && !tail.isBlank()) {
      text.append("\nLast lines of its stderr:\n").append(tail.stripTrailing());
    }
    return text.toString();
  }

  /** The process's exit code, when it exited normally. */
  public OptionalInt exitCode() {
    return exitCode == null ? OptionalInt.empty() : OptionalInt.of(exitCode);
  }

  /** The signal that killed the process (9 for SIGKILL), when a signal did. */
  public OptionalInt signal() {
    return signal == null ? OptionalInt.empty() : OptionalInt.of(signal);
  }

  /** Whether the kernel's OOM killer ended the worker (its memory cgroup counted the kill). */
  public boolean killedByOomKiller() {
    return oomKillEvidence != null;
  }

  /** What shows the OOM killer ended the worker, when it did. */
  public Optional<String> oomKillEvidence() {
    return Optional.ofNullable(oomKillEvidence);
  }

  /** The last lines the worker wrote to stderr before it died. */
  public String stderrTail() {
    return stderrTail;
  }
}
