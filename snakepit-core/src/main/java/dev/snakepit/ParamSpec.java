package dev.snakepit;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One parameter of a {@link HostTool}: what Python sees in the tool's spec, and what the host checks
 * before it runs the handler.
 *
 * <p>Types are a small closed set, so the host can check them: {@value #STRING}, {@value #INTEGER},
 * {@value #NUMBER}, {@value #BOOLEAN}, {@value #ARRAY}, {@value #OBJECT}, {@value #BYTES} (sent raw in
 * {@code binary_parameters}) and {@value #ANY} (not checked). The Python spellings {@code str},
 * {@code int}, {@code float}, {@code bool}, {@code list}, {@code dict} and the aliases {@code map},
 * {@code binary} are accepted and normalized.
 *
 * <pre>{@code
 * ParamSpec.required("json_string", ParamSpec.STRING, "JSON text to parse")
 * ParamSpec.optional("operation", ParamSpec.STRING, "sum", "sum, sort, reverse or stats")
 * }</pre>
 *
 * @param name the argument name Python passes: a Python identifier
 * @param type the normalized type name (one of the constants of this class)
 * @param description what the parameter means (shown to Python)
 * @param required whether a call must pass it
 * @param defaultValue the value used when an optional argument is absent (a JSON-able value), or null for none
 */
public record ParamSpec(String name, String type, String description, boolean required, Object defaultValue) {
  /** A JSON string. */
  public static final String STRING = "string";
  /** A JSON integer (no fraction). */
  public static final String INTEGER = "integer";
  /** Any JSON number. */
  public static final String NUMBER = "number";
  /** A JSON boolean. */
  public static final String BOOLEAN = "boolean";
  /** A JSON array; the handler sees a {@code List}. */
  public static final String ARRAY = "array";
  /** A JSON object; the handler sees a {@code Map}. */
  public static final String OBJECT = "object";
  /** Raw bytes (Python {@code bytes}); the handler sees a {@code byte[]}. */
  public static final String BYTES = "bytes";
  /** Anything, unchecked. */
  public static final String ANY = "any";

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("string", STRING), Map.entry("str", STRING),
      Map.entry("integer", INTEGER), Map.entry("int", INTEGER),
      Map.entry("number", NUMBER), Map.entry("float", NUMBER),
      Map.entry("boolean", BOOLEAN), Map.entry("bool", BOOLEAN),
      Map.entry("array", ARRAY), Map.entry("list", ARRAY),
      Map.entry("object", OBJECT), Map.entry("dict", OBJECT), Map.entry("map", OBJECT),
      Map.entry("bytes", BYTES), Map.entry("binary", BYTES),
      Map.entry("any", ANY));

  /** Validates and normalizes; every failure names the bad value. */
  public ParamSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    if (!IDENTIFIER.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "parameter name must be an identifier ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters), was '" + name + "'");
    }
    var normalized = TYPES.get(type.strip().toLowerCase(Locale.ROOT));
    if (normalized == null) {
      throw new IllegalArgumentException("type of parameter '" + name + "' must be one of string, integer, number,"
          + " boolean, array, object, bytes, any (or str, int, float, bool, list, dict), was '" + type + "'");
    }
    type = normalized;
    description = description == null ? "" : description;
    if (defaultValue != null) {
      if (required) {
        throw new IllegalArgumentException("parameter '" + name + "' is required, so it cannot have a default ("
            + defaultValue + ")");
      }
      if (BYTES.equals(type)) {
        throw new IllegalArgumentException("bytes parameter '" + name + "' cannot have a default");
      }
      try {
        SnakepitJson.write(defaultValue);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("default of parameter '" + name + "' is not JSON-encodable: "
            + e.getOriginalMessage(), e);
      }
    }
  }

  /** A parameter every call must pass. */
  public static ParamSpec required(String name, String type, String description) {
    return new ParamSpec(name, type, description, true, null);
  }

  /** An optional parameter without a default: absent from the handler's arguments when not passed. */
  public static ParamSpec optional(String name, String type, String description) {
    return new ParamSpec(name, type, description, false, null);
  }

  /** An optional parameter whose {@code defaultValue} the handler sees when it is not passed. */
  public static ParamSpec optional(String name, String type, Object defaultValue, String description) {
    return new ParamSpec(name, type, description, false, Objects.requireNonNull(defaultValue, "defaultValue"));
  }

  /** Whether the parameter has a default value. */
  public boolean hasDefault() {
    return defaultValue != null;
  }
}
