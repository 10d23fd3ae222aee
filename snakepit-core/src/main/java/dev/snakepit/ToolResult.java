package dev.snakepit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The result of a tool call: a JSON value, or bytes when the tool returned bytes. Map it with
 * {@link #as(Class)}, {@link #asMap()}, {@link #asText()} and friends; read bytes with {@link #bytes()}.
 */
public final class ToolResult {
  private final String toolName;
  private final byte[] json;
  private final ByteBuffer binary;
  private final String workerId;
  private final Duration executionTime;
  private final Map<String, String> metadata;
  private volatile JsonNode node;

  /**
   * Creates a result. For transports and tests; {@code json} is the UTF-8 JSON text (null for a
   * binary result), {@code binary} the bytes of a binary result (null otherwise; not copied).
   */
  public ToolResult(String toolName, byte[] json, ByteBuffer binary, String workerId, Duration executionTime,
      Map<String, String> metadata) {
    this.toolName = Objects.requireNonNull(toolName, "toolName");
    this.json = json;
    this.binary = binary == null ? null : binary.asReadOnlyBuffer();
    this.workerId = workerId;
    this.executionTime = executionTime == null ? Duration.ZERO : executionTime;
    this.metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  /** The tool that produced this result. */
  public String toolName() {
    return toolName;
  }

  /** The worker that ran the call. */
  public String workerId() {
    return workerId;
  }

  /** Time the tool took inside Python, as the worker measured it. */
  public Duration executionTime() {
    return executionTime;
  }

  /** Response metadata from the worker. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Whether the tool returned bytes. */
  public boolean isBinary() {
    return binary != null;
  }

  /** The bytes a binary result carries (a copy). Throws if the result is JSON. */
  public byte[] bytes() {
    var view = byteBuffer();
    var copy = new byte[view.remaining()];
    view.get(copy);
    return copy;
  }

  /** A read-only view of a binary result's bytes, without copying. Throws if the result is JSON. */
  public ByteBuffer byteBuffer() {
    if (binary == null) {
      throw new IllegalStateException("Result of '" + toolName + "' is JSON, not bytes: " + json());
    }
    return binary.duplicate();
  }

  /** The JSON text of the result (for a binary result, a small JSON description of it). */
  public String json() {
    return json == null ? "null" : new String(json, StandardCharsets.UTF_8);
  }

  /** The result as a Jackson tree. */
  public JsonNode asJson() {
    var current = node;
    if (current == null) {
      current = json == null ? SnakepitJson.mapper().nullNode() : SnakepitJson.readTree(json, "result of '" + toolName + "'");
      node = current;
    }
    return current;
  }

  /** Maps the result onto a Java type through Jackson (records, POJOs, collections, boxed primitives). */
  public <T> T as(Class<T> type) {
    return SnakepitJson.convert(asJson(), type, "result of '" + toolName + "'");
  }

  /** Maps the result onto a generic Java type through Jackson. */
  public <T> T as(TypeReference<T> type) {
    return SnakepitJson.convert(asJson(), type, "result of '" + toolName + "'");
  }

  /** The result as a map; throws {@link IllegalStateException} if it is not a JSON object. */
  public Map<String, Object> asMap() {
    if (!asJson().isObject()) {
      throw new IllegalStateException("Result of '" + toolName + "' is not a JSON object: " + json());
    }
    return as(new TypeReference<Map<String, Object>>() {});
  }

  /** The result as text: a JSON string's value, or the JSON text of anything else. */
  public String asText() {
    var value = asJson();
    return value.isTextual() ? value.textValue() : value.toString();
  }

  /** The result as a long; throws if it is not an integral number. */
  public long asLong() {
    var value = asJson();
    if (!value.canConvertToLong() || !value.isIntegralNumber()) {
      throw new IllegalStateException("Result of '" + toolName + "' is not an integer: " + json());
    }
    return value.longValue();
  }

  /** The result as a double; throws if it is not a number. */
  public double asDouble() {
    var value = asJson();
    if (!value.isNumber()) {
      throw new IllegalStateException("Result of '" + toolName + "' is not a number: " + json());
    }
    return value.doubleValue();
  }

  /** The result as a boolean; throws if it is not one. */
  public boolean asBoolean() {
    var value = asJson();
    if (!value.isBoolean()) {
      throw new IllegalStateException("Result of '" + toolName + "' is not a boolean: " + json());
    }
    return value.booleanValue();
  }

  /** Whether the tool returned None/null. */
  public boolean isNull() {
    return !isBinary() && asJson().isNull();
  }

  @Override
  public String toString() {
    return isBinary() ? "ToolResult{" + toolName + ", " + binary.remaining() + " bytes}" : "ToolResult{" + toolName + ", " + json() + "}";
  }
}
