package dev.snakepit.internal.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.internal.codec.Json;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes a call's arguments per the protocol: each value as JSON text, except {@code byte[]} and
 * {@link ByteBuffer} values, which travel raw as binary parameters (wrapped, never copied).
 */
public final class ArgumentEncoder {
  private ArgumentEncoder() {}

  /** Encodes; rejects unencodable values and payloads over {@code maxMessageSize} with typed errors. */
  public static ToolRequest encode(String toolName, Map<String, ?> arguments, String sessionId,
      Map<String, String> metadata, int maxMessageSize) {
    if (toolName == null || toolName.isBlank()) {
      throw new InvalidArgumentsException("Tool name must not be empty.", String.valueOf(toolName), null, null, null, "value", null);
    }
    var json = new LinkedHashMap<String, byte[]>();
    var binary = new LinkedHashMap<String, ByteBuffer>();
    if (arguments != null) {
      for (var entry : arguments.entrySet()) {
        var name = entry.getKey();
        if (name == null || name.isEmpty()) {
          throw new InvalidArgumentsException("Argument names must not be empty (tool '" + toolName + "').",
              toolName, String.valueOf(name), null, null, "value", null);
        }
        var value = entry.getValue();
        if (value instanceof byte[] bytes) {
          binary.put(name, ByteBuffer.wrap(bytes));
        } else if (value instanceof ByteBuffer buffer) {
          binary.put(name, buffer.duplicate());
        } else {
          json.put(name, toJson(toolName, name, value));
        }
      }
    }
    var request = new ToolRequest(toolName, sessionId == null ? "" : sessionId, json, binary,
        metadata == null ? Map.of() : new HashMap<>(metadata));
    long size = request.payloadSize();
    if (size > maxMessageSize) {
      throw new PayloadTooLargeException(toolName, "the request (largest argument: " + largest(json, binary) + ")", size,
          maxMessageSize, null);
    }
    return request;
  }

  private static byte[] toJson(String toolName, String name, Object value) {
    try {
      return Json.writeArgument(value);
    } catch (JsonProcessingException e) {
      throw new InvalidArgumentsException("Argument '" + name + "' of tool '" + toolName + "' cannot be encoded as JSON: "
          + e.getOriginalMessage() + ". Pass maps, lists, strings, numbers, booleans, records/POJOs, or byte[] for bytes.",
          toolName, name, "a JSON-serializable value", value.getClass().getName(), "value", null);
    }
  }

  private static String largest(Map<String, byte[]> json, Map<String, ByteBuffer> binary) {
    String name = null;
    long size = -1;
    for (var e : json.entrySet()) {
      if (e.getValue().length > size) {
        name = e.getKey();
        size = e.getValue().length;
      }
    }
    for (var e : binary.entrySet()) {
      if (e.getValue().remaining() > size) {
        name = e.getKey();
        size = e.getValue().remaining();
      }
    }
    return name == null ? "none" : "'" + name + "', " + size + " bytes";
  }
}
