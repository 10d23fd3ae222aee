package dev.snakepit;

/** A session cannot serve the call: the session limit is reached, its worker is gone, or it expired or was closed. */
public final class SessionException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the session. */
  public enum Reason {
    /** Creating the session would exceed the pool's {@code maxSessions}. */
    LIMIT_REACHED,
    /** A strict session's worker died or was recycled, taking the session's Python-side state with it. */
    WORKER_LOST,
    /** The session was idle longer than the session TTL and was removed. */
    EXPIRED,
    /** The session was closed. */
    CLOSED,
    /**
     * The {@link SessionDirectory} shared with other JVM replicas could not say where the session
     * lives (for example its Redis is unreachable); the cause says what failed. The call did not run.
     */
    DIRECTORY_UNAVAILABLE
  }

  private final String sessionId;
  private final Reason reason;

  /** Creates the exception. */
  public SessionException(String sessionId, Reason reason, String toolName, String workerId, String message) {
    this(sessionId, reason, toolName, workerId, message, null);
  }

  /** Creates the exception with its cause. */
  public SessionException(String sessionId, Reason reason, String toolName, String workerId, String message,
      Throwable cause) {
    super(ErrorCode.SESSION, message, toolName, workerId, cause);
    this.sessionId = sessionId;
    this.reason = reason;
  }

  /** The session's id. */
  public String sessionId() {
    return sessionId;
  }

  /** What is wrong with the session. */
  public Reason reason() {
    return reason;
  }
}
