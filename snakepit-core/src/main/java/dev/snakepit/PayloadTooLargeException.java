package dev.snakepit;

/** A request or response exceeds the configured maximum message size. */
public final class PayloadTooLargeException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long limit;

  /** Creates the exception; size is -1 when the exact size is unknown (reported by the transport). */
  public PayloadTooLargeException(String toolName, String what, long size, long limit, String workerId) {
    super(ErrorCode.PAYLOAD_TOO_LARGE, describe(toolName, what, size, limit), toolName, workerId, null);
    this.size = size;
    this.limit = limit;
  }

  private static String describe(String toolName, String what, long size, long limit) {
    var measured = size >= 0 ? " is " + size + " bytes," : "";
    return "Call to '" + toolName + "': " + what + measured + " over the maximum message size of " + limit
        + " bytes. Raise maxMessageSize in the pool config, or send the data in parts.";
  }

  /** The payload size in bytes, or -1 when unknown. */
  public long size() {
    return size;
  }

  /** The configured limit in bytes. */
  public long limit() {
    return limit;
  }
}
