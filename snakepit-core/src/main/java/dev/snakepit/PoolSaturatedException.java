package dev.snakepit;

/**
 * Every worker was busy and the call could not wait: the queue was full, or the wait timed out.
 * The message and accessors carry the pool's live counts at the moment of rejection.
 */
public final class PoolSaturatedException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  /** Why the call was rejected. */
  public enum Reason {
    /** The wait queue was at capacity. */
    QUEUE_FULL,
    /** The call waited in the queue for the whole queue timeout. */
    QUEUE_TIMEOUT,
    /** A {@link Affinity#STRICT_FAIL_FAST} session call found its bound worker busy. */
    SESSION_WORKER_BUSY
  }

  private final Reason reason;
  private final int workers;
  private final int busy;
  private final int queued;

  /** Creates the exception with the pool counts observed at rejection. */
  public PoolSaturatedException(String toolName, Reason reason, int workers, int busy, int queued, int capacity, String detail) {
    super(ErrorCode.POOL_SATURATED, describe(toolName, reason, workers, busy, queued, capacity, detail), toolName, null, null);
    this.reason = reason;
    this.workers = workers;
    this.busy = busy;
    this.queued = queued;
  }

  private static String describe(String toolName, Reason reason, int workers, int busy, int queued, int capacity, String detail) {
    var why = switch (reason) {
      case QUEUE_FULL -> "the wait queue is full";
      case QUEUE_TIMEOUT -> "no worker became free within the queue timeout" + (detail == null ? "" : " (" + detail + ")");
      case SESSION_WORKER_BUSY -> "the session's worker is busy and the session's affinity is STRICT_FAIL_FAST"
          + (detail == null ? "" : " (" + detail + ")");
    };
    return "Call to '" + toolName + "' rejected: " + why + " (workers=" + workers + ", busy=" + busy
        + ", queued=" + queued + ", queueCapacity=" + capacity + "). Add workers, raise the queue capacity or"
        + " timeout, or slow the callers down.";
  }

  /** Why the call was rejected. */
  public Reason reason() {
    return reason;
  }

  /** Workers in the pool at rejection. */
  public int workers() {
    return workers;
  }

  /** Workers busy at rejection. */
  public int busy() {
    return busy;
  }

  /** Calls waiting in the queue at rejection. */
  public int queued() {
    return queued;
  }
}
