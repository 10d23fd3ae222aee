package dev.snakepit;

import java.util.OptionalInt;

/** The worker process died while the call was on it. Carries how it ended and the tail of its stderr. */
public final class WorkerCrashedException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final Integer exitCode;
  private final Integer signal;
  private final String stderrTail;

  /** Creates the exception; exitCode and signal may be null when unknown. */
  public WorkerCrashedException(String toolName, String workerId, Integer exitCode, Integer signal, String stderrTail) {
    super(ErrorCode.WORKER_CRASHED, describe(toolName, workerId, exitCode, signal, stderrTail), toolName, workerId, null);
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail == null ? "" : stderrTail;
  }

  private static String describe(String toolName, String workerId, Integer exitCode, Integer signal, String tail) {
    var text = new StringBuilder("Worker ").append(workerId).append(" died");
    if (toolName != null) {
      text.append(" during a call to '").append(toolName).append('\'');
    }
    text.append(": ").append(ExitDescriptions.describe(exitCode, signal)).append('.');
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

  /** The last lines the worker wrote to stderr before it died. */
  public String stderrTail() {
    return stderrTail;
  }
}
