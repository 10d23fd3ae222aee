package dev.snakepit;

import java.util.List;
import java.util.Optional;

/** The worker has no tool of the requested name. Carries the tools it does have and the closest match. */
public final class ToolNotFoundException extends SnakepitException {
  private static final long serialVersionUID = 1L;

  private final List<String> availableTools;
  private final String suggestion;

  /** Creates the exception; {@code suggestion} may be null when no tool name is close. */
  public ToolNotFoundException(String toolName, List<String> availableTools, String suggestion, String workerId) {
    super(ErrorCode.TOOL_NOT_FOUND, describe(toolName, availableTools, suggestion), toolName, workerId, null);
    this.availableTools = List.copyOf(availableTools);
    this.suggestion = suggestion;
  }

  private static String describe(String toolName, List<String> available, String suggestion) {
    var text = new StringBuilder("Unknown tool '").append(toolName).append("'.");
    if (suggestion != null) {
      text.append(" Did you mean '").append(suggestion).append("'?");
    }
    if (available.isEmpty()) {
      text.append(" The adapter reported no tools.");
    } else {
      text.append(" Available tools: ").append(String.join(", ", available)).append('.');
    }
    return text.toString();
  }

  /** The tool names the worker offers, sorted. */
  public List<String> availableTools() {
    return availableTools;
  }

  /** The available tool whose name is closest to the requested one, if any is close. */
  public Optional<String> suggestion() {
    return Optional.ofNullable(suggestion);
  }
}
