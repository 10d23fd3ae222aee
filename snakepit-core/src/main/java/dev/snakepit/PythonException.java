package dev.snakepit;

import java.util.Map;

/**
 * The Python tool raised. Carries the Python exception type, its message and the full Python
 * traceback, so the failure can be read without the worker's logs.
 */
public final class PythonException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final String pythonType;
  private final String pythonMessage;
  private final String traceback;
  private final Map<String, Object> context;

  /** Creates the exception from the decoded Python error. */
  public PythonException(
      String toolName, String pythonType, String pythonMessage, String traceback, Map<String, Object> context,
      String workerId) {
    super(ErrorCode.PYTHON_ERROR, describe(toolName, pythonType, pythonMessage, traceback), toolName, workerId, null);
    this.pythonType = pythonType;
    this.pythonMessage = pythonMessage;
    this.traceback = traceback == null ? "" : traceback;
    this.context = context == null ? Map.of() : Map.copyOf(context);
  }

  private static String describe(String toolName, String type, String message, String traceback) {
    var text = new StringBuilder("Tool '").append(toolName).append("' raised ").append(type).append(": ").append(message);
    if (traceback != null && !traceback.isBlank()) {
      text.append("\nPython traceback:\n").append(traceback.stripTrailing());
    }
    return text.toString();
  }

  /** The Python exception's class name, e.g. {@code ValueError} or {@code mymodule.MyError}. */
  public String pythonType() {
    return pythonType;
  }

  /** {@code str(exception)} on the Python side. */
  public String pythonMessage() {
    return pythonMessage;
  }

  /** The full Python traceback text (empty when the worker sent none). */
  public String traceback() {
    return traceback;
  }

  /** Extra context the worker attached (tool name, session id, worker id, ...). */
  public Map<String, Object> context() {
    return context;
  }
}
