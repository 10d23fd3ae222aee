package dev.snakepit;

import java.util.Optional;

/**
 * The one error family of Snakepit: every failure a caller can see is one of these unchecked
 * exceptions. Switch on the subtype (the hierarchy is sealed) or on {@link #code()}.
 */
public abstract sealed class SnakepitException extends RuntimeException
    permits ToolNotFoundException,
        InvalidArgumentsException,
        PythonException,
        WorkerCrashedException,
        CallTimeoutException,
        PoolSaturatedException,
        PoolClosedException,
        StartupFailedException,
        PayloadTooLargeException,
        PoolUnavailableException,
        SessionException,
        DuplicateHostToolException,
        TransportException {

  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final String toolName;
  private final String workerId;

  SnakepitException(ErrorCode code, String message, String toolName, String workerId, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.toolName = toolName;
    this.workerId = workerId;
  }

  /** The error code matching this exception's type. */
  public ErrorCode code() {
    return code;
  }

  /** The tool the failed call was for, when the failure belongs to a call. */
  public Optional<String> toolName() {
    return Optional.ofNullable(toolName);
  }

  /** The worker involved, when one was. */
  public Optional<String> workerId() {
    return Optional.ofNullable(workerId);
  }
}
