package dev.snakepit;

/** What went wrong with a call or a pool, as a closed set: one code per {@link SnakepitException} subtype. */
public enum ErrorCode {
  /** The worker has no tool of that name. */
  TOOL_NOT_FOUND,
  /** An argument is missing, unexpected, of the wrong type, or cannot be encoded. */
  INVALID_ARGUMENTS,
  /** The Python tool raised an exception. */
  PYTHON_ERROR,
  /** The worker process died while the call was on it. */
  WORKER_CRASHED,
  /** The call's time budget ran out (while queued or while running). */
  TIMEOUT,
  /** Every worker is busy and the wait queue is full, or the wait in the queue timed out. */
  POOL_SATURATED,
  /** The pool is closed or closing and admits no new calls. */
  POOL_CLOSED,
  /** A worker could not be started (it exited, or missed the start-up timeout). */
  STARTUP_FAILED,
  /** A request or response is larger than the configured maximum message size. */
  PAYLOAD_TOO_LARGE,
  /** A host tool of that name is already registered where the new one would be visible. */
  DUPLICATE_HOST_TOOL,
  /** A session cannot serve the call: limit reached, worker lost, expired or closed. */
  SESSION,
  /** No worker can serve: recent worker starts all failed (the pool's breaker is open). */
  POOL_UNAVAILABLE,
  /** The transport failed in a way none of the other codes describes. */
  TRANSPORT
}
