package dev.snakepit.redis;

/** A session directory operation failed: Redis unreachable, timed out, or refused the command. */
public class SessionDirectoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed and what to do
   * @param cause the client's exception, or null
   */
  public SessionDirectoryException(String message, Throwable cause) {
    super(message, cause);
  }
}
