package dev.snakepit;

import java.util.OptionalInt;

/**
 * A worker could not be started: it exited before it was ready, or missed the start-up timeout.
 * The message includes the tail of its stderr, typically the Python traceback of an adapter that
 * failed to import or to initialize.
 */
public final class StartupFailedException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final Integer exitCode;
  private final String stderrTail;

  /** Creates the exception; exitCode is null when the process was still alive (a timeout). */
  public StartupFailedException(String workerId, String reason, Integer exitCode, String stderrTail, Throwable cause) {
    super(ErrorCode.STARTUP_FAILED, describe(workerId, reason, stderrTail), null, workerId, cause);
    this.exitCode = exitCode;
    this.stderrTail = stderrTail == null ? "" : stderrTail;
  }

  private static String describe(String workerId, String reason, String tail) {
    var text = new StringBuilder("Worker ").append(workerId).append(" failed to start: ").append(reason);
    if (tail != null && !tail.isBlank()) {
      text.append("\nLast lines of its stderr:\n").append(tail.stripTrailing());
    }
    return text.toString();
  }

  /** The exit code, when the process exited during start-up. */
  public OptionalInt exitCode() {
    return exitCode == null ? OptionalInt.empty() : OptionalInt.of(exitCode);
  }

  /** The last lines the worker wrote to stderr. */
  public String stderrTail() {
    return stderrTail;
  }
}
