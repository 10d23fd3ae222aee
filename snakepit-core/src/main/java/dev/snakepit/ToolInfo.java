package dev.snakepit;

import java.util.List;
import java.util.Objects;

/**
 * A tool a worker offers, as its adapter described it.
 *
 * @param name the tool's name
 * @param description what it does
 * @param parameters its parameters, in signature order
 * @param supportsStreaming whether it streams (call it with {@code stream})
 */
public record ToolInfo(String name, String description, List<ParameterInfo> parameters, boolean supportsStreaming) {
  /** Validates and copies. */
  public ToolInfo {
    Objects.requireNonNull(name, "name");
    description = description == null ? "" : description;
    parameters = List.copyOf(parameters);
  }

  /**
   * A tool parameter.
   *
   * @param name the parameter's name
   * @param type its declared type as Python writes it, e.g. {@code int}, {@code list[str]}
   * @param required whether a call must pass it
   * @param defaultJson its default value as JSON text, or null when it has none
   * @param description what it means (from the docstring)
   */
  public record ParameterInfo(String name, String type, boolean required, String defaultJson, String description) {
    /** Validates. */
    public ParameterInfo {
      Objects.requireNonNull(name, "name");
      type = type == null || type.isBlank() ? "Any" : type;
      description = description == null ? "" : description;
    }
  }
}
