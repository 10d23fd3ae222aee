package dev.snakepit.internal.transport;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A tool call as the pool hands it to a transport: arguments already encoded.
 *
 * @param toolName the tool to run
 * @param sessionId the session id, or empty
 * @param jsonArguments argument name to its UTF-8 JSON text
 * @param binaryArguments argument name to raw bytes (not copied; must not be modified while in flight)
 * @param metadata request metadata
 */
public record ToolRequest(String toolName, String sessionId, Map<String, byte[]> jsonArguments,
    Map<String, ByteBuffer> binaryArguments, Map<String, String> metadata) {

  /** Total payload bytes, used to reject oversized calls before they are sent. */
  public long payloadSize() {
    long size = toolName.length();
    for (var e : jsonArguments.entrySet()) {
      size += e.getKey().length() + e.getValue().length + 64;
    }
    for (var e : binaryArguments.entrySet()) {
      size += e.getKey().length() + e.getValue().remaining() + 16;
    }
    return size;
  }
}
