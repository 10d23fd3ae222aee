package dev.snakepit.internal.transport;

/**
 * A transport-level failure whose details are the protocol's error document (for example an
 * error raised mid-stream). The pool decodes it into a typed exception.
 */
public final class RemoteToolError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String errorJson;

  /** Creates the error around the worker's error JSON. */
  public RemoteToolError(String errorJson) {
    super(errorJson, null, false, false);
    this.errorJson = errorJson;
  }

  /** The error document as the worker sent it. */
  public String errorJson() {
    return errorJson;
  }
}
