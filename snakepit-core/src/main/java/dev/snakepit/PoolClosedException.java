package dev.snakepit;

/** The pool is closed or closing: it admits no new calls, and calls still queued at close get this. */
public final class PoolClosedException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public PoolClosedException(String toolName, String detail) {
    super(ErrorCode.POOL_CLOSED, "Pool is closed" + (toolName == null ? "" : "; call to '" + toolName + "' not run")
        + (detail == null ? "." : ": " + detail), toolName, null, null);
  }
}
