package dev.snakepit;

import java.util.Optional;

/**
 * An argument does not fit the tool's signature: missing, unexpected, of the wrong type, malformed,
 * or not encodable as JSON. Names the parameter, what it expects and what it received.
 */
public final class InvalidArgumentsException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final String parameter;
  private final String expected;
  private final String received;
  private final String problem;

  /** Creates the exception; any of parameter, expected, received, problem may be null when unknown. */
  public InvalidArgumentsException(
      String message, String toolName, String parameter, String expected, String received, String problem,
      String workerId) {
    super(ErrorCode.INVALID_ARGUMENTS, message, toolName, workerId, null);
    this.parameter = parameter;
    this.expected = expected;
    this.received = received;
    this.problem = problem;
  }

  /** The offending parameter's name. */
  public Optional<String> parameter() {
    return Optional.ofNullable(parameter);
  }

  /** The type the parameter expects, as the tool declares it (for example {@code int}, {@code list[str]}). */
  public Optional<String> expected() {
    return Optional.ofNullable(expected);
  }

  /** What was received (a type name, or "nothing" for a missing argument). */
  public Optional<String> received() {
    return Optional.ofNullable(received);
  }

  /** The kind of problem: {@code missing}, {@code unexpected}, {@code type}, {@code malformed_json}, {@code value}. */
  public Optional<String> problem() {
    return Optional.ofNullable(problem);
  }
}
