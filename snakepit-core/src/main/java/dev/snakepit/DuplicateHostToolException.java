package dev.snakepit;

import java.util.Optional;

/**
 * A host tool could not be registered because a tool of the same name is already visible where the
 * new one would be: globally, or in the same session.
 */
public final class DuplicateHostToolException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final String sessionId;
  private final String existingSessionId;

  /**
   * Creates the exception.
   *
   * @param toolName the contested name
   * @param sessionId the session the new tool was for, or null for a global registration
   * @param existingSessionId the session of the tool already registered, or null when it is global
   */
  public DuplicateHostToolException(String toolName, String sessionId, String existingSessionId) {
    super(ErrorCode.DUPLICATE_HOST_TOOL, describe(toolName, sessionId, existingSessionId), toolName, null, null);
    this.sessionId = sessionId;
    this.existingSessionId = existingSessionId;
  }

  private static String describe(String toolName, String sessionId, String existingSessionId) {
    var where = sessionId == null ? "globally" : "for session '" + sessionId + "'";
    var existing = existingSessionId == null ? "a global host tool" : "a host tool of session '" + existingSessionId + "'";
    return "Cannot register host tool '" + toolName + "' " + where + ": " + existing
        + " already has that name. Unregister it first or choose another name.";
  }

  /** The session the rejected tool was for; empty for a global registration. */
  public Optional<String> sessionId() {
    return Optional.ofNullable(sessionId);
  }

  /** The session of the tool already registered; empty when that tool is global. */
  public Optional<String> existingSessionId() {
    return Optional.ofNullable(existingSessionId);
  }
}
