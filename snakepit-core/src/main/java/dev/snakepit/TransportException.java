package dev.snakepit;

/** The transport to a worker failed in a way no more specific exception describes. */
public final class TransportException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final String status;

  /** Creates the exception with the transport's status name (e.g. a gRPC status code). */
  public TransportException(String toolName, String workerId, String status, String message, Throwable cause) {
    super(ErrorCode.TRANSPORT, message, toolName, workerId, cause);
    this.status = status;
  }

  /** The transport's own status name, e.g. {@code UNAVAILABLE}. */
  public String status() {
    return status;
  }
}
