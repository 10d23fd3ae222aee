package dev.snakepit.internal.transport.lane;

import dev.snakepit.internal.codec.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Small readers for frame payloads shared by the lane's call kinds. */
final class LaneDecoding {
  private LaneDecoding() {}

  /** Reads a metadata block ({@code u32 length | JSON object of strings}) at the payload's position. */
  static Map<String, String> readMeta(ByteBuffer payload) {
    if (payload.remaining() < 4) {
      throw new LaneFrames.LaneProtocolException("metadata length missing");
    }
    int length = payload.getInt();
    if (length < 0 || length > payload.remaining()) {
      throw new LaneFrames.LaneProtocolException("metadata of " + length + " bytes overruns its frame");
    }
    var json = new byte[length];
    payload.get(json);
    var node = Json.readTree(json, "frame metadata");
    var map = new HashMap<String, String>();
    node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }

  static Map<String, String> withMeta(Map<String, String> base, Map<String, String> extra) {
    var merged = new HashMap<>(base);
    merged.putAll(extra);
    return merged;
  }

  static byte[] bytes(ByteBuffer payload) {
    var data = new byte[payload.remaining()];
    payload.get(data);
    return data;
  }

  static String utf8(ByteBuffer payload) {
    return new String(bytes(payload), StandardCharsets.UTF_8);
  }

  /** {@code text} as a JSON string literal. */
  static String quote(String text) {
    var buffer = ByteBuffer.allocate(text.length() * 6 + 2);
    CallEncoder.string(buffer, text);
    return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
  }
}
