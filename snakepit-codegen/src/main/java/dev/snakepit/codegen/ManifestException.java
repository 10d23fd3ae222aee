package dev.snakepit.codegen;

/** A manifest cannot be read, or a generator cannot work with it; the message says what to fix. */
public final class ManifestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An error with a message. */
  public ManifestException(String message) {
    super(message);
  }

  /** An error with a message and its cause. */
  public ManifestException(String message, Throwable cause) {
    super(message, cause);
  }
}
