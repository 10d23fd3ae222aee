package dev.snakepit.redis;

/**
 * A rebind presented a fencing token that is no longer current: another replica rebound the
 * session first. Route to {@link #current()} instead (or fail the call with WORKER_LOST when that
 * worker is gone too).
 */
public final class FencingConflictException extends SessionDirectoryException {
  private static final long serialVersionUID = 1L;

  private final transient SessionBinding current;

  FencingConflictException(String sessionId, long presented, SessionBinding current) {
    super("session '" + sessionId + "': fencing token " + presented + " is stale; the session is now bound to "
        + current.worker() + " with token " + current.fencingToken() + " (another replica rebound it first); route to that worker",
        null);
    this.current = current;
  }

  /** The binding that won. */
  public SessionBinding current() {
    return current;
  }
}
