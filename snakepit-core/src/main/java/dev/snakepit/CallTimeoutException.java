package dev.snakepit;

import java.time.Duration;

/** The call's time budget ran out, either while it waited for a worker or while the tool ran. */
public final class CallTimeoutException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  /** Where the call was when its time ran out. */
  public enum Phase {
    /** Waiting in the pool's queue for a free worker. */
    QUEUED,
    /** Running on a worker; the Python side was told to cancel it. */
    RUNNING
  }

  private final Duration timeout;
  private final Phase phase;

  /** Creates the exception. */
  public CallTimeoutException(String toolName, String workerId, Duration timeout, Phase phase, String detail) {
    super(ErrorCode.TIMEOUT, describe(toolName, timeout, phase, detail), toolName, workerId, null);
    this.timeout = timeout;
    this.phase = phase;
  }

  private static String describe(String toolName, Duration timeout, Phase phase, String detail) {
    var where = phase == Phase.QUEUED ? "while waiting for a free worker" : "while running; the Python side was cancelled";
    var text = "Call to '" + toolName + "' timed out after " + timeout.toMillis() + " ms " + where + ".";
    return detail == null ? text : text + " " + detail;
  }

  /** The budget that ran out. */
  public Duration timeout() {
    return timeout;
  }

  /** Whether the call was queued or running when the budget ran out. */
  public Phase phase() {
    return phase;
  }
}
