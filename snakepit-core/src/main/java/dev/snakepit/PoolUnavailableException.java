package dev.snakepit;

/**
 * No worker can serve the call because the pool's last worker starts all failed (a crash storm,
 * e.g. an adapter whose {@code initialize()} raises every time). Calls fail fast with this instead
 * of waiting on a restart loop; the cause is the last start failure, with the worker's stderr
 * (typically a Python traceback). The pool keeps trying to start workers with back-off, and
 * serves calls again as soon as one starts.
 */
public final class PoolUnavailableException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final int failedStarts;

  /** Creates the exception around the last start failure. */
  public PoolUnavailableException(String toolName, int failedStarts, StartupFailedException lastFailure) {
    super(ErrorCode.POOL_UNAVAILABLE, describe(toolName, failedStarts, lastFailure), toolName,
        lastFailure == null ? null : lastFailure.workerId().orElse(null), lastFailure);
    this.failedStarts = failedStarts;
  }

  private static String describe(String toolName, int failedStarts, StartupFailedException lastFailure) {
    return "No worker available" + (toolName == null ? "" : " for '" + toolName + "'") + ": the last " + failedStarts
        + " worker starts failed, so calls fail fast until a start succeeds (the pool keeps retrying with back-off)."
        + (lastFailure == null ? "" : " Last failure: " + lastFailure.getMessage());
  }

  /** Consecutive failed worker starts when this was raised. */
  public int failedStarts() {
    return failedStarts;
  }
}
