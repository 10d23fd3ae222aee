package dev.snakepit.internal.transport;

/**
 * A transport-level failure of one call, as every transport reports it: a {@link Kind} the pool
 * understands, the transport's own code name (for example a gRPC status name, kept for messages
 * and {@link dev.snakepit.TransportException#status()}), and a description. The pool turns these
 * into {@link dev.snakepit.SnakepitException}s in one place; no transport-specific code reaches it.
 */
public final class TransportFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, independent of the transport. */
  public enum Kind {
    /** The connection broke or the worker is unreachable (it may have exited). */
    CONNECTION_LOST,
    /** The call was cancelled (by either side, or because the connection is going away). */
    CANCELLED,
    /** The call's deadline passed. */
    DEADLINE_EXCEEDED,
    /** The worker rejected the pool's credentials. */
    UNAUTHENTICATED,
    /** The worker does not implement this operation. */
    UNIMPLEMENTED,
    /** A message exceeded the size limit. */
    MESSAGE_TOO_LARGE,
    /** The worker sent something the transport could not read. */
    PROTOCOL_ERROR,
    /** The worker failed internally without an error document (may also mean a dying process). */
    INTERNAL,
    /** Anything else. */
    OTHER
  }

  private final Kind kind;
  private final String code;
  private final String detail;
  private final long size;

  /**
   * Creates the failure.
   *
   * @param kind what went wrong
   * @param code the transport's own name for it (e.g. {@code UNAVAILABLE})
   * @param detail a description, or empty
   * @param cause the transport's exception, or null
   */
  public TransportFailure(Kind kind, String code, String detail, Throwable cause) {
    this(kind, code, detail, -1, cause);
  }

  /** Creates the failure, with the offending size for {@link Kind#MESSAGE_TOO_LARGE} (-1 when unknown). */
  public TransportFailure(Kind kind, String code, String detail, long size, Throwable cause) {
    super(code + (detail == null || detail.isEmpty() ? "" : " " + detail), cause, false, false);
    this.kind = kind;
    this.code = code;
    this.detail = detail == null ? "" : detail;
    this.size = size;
  }

  /** What went wrong. */
  public Kind kind() {
    return kind;
  }

  /** The transport's own code name. */
  public String code() {
    return code;
  }

  /** The description, or empty. */
  public String detail() {
    return detail;
  }

  /** The offending size in bytes for {@link Kind#MESSAGE_TOO_LARGE}, else -1. */
  public long size() {
    return size;
  }
}
