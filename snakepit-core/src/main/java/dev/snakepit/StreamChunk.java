package dev.snakepit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * One chunk of a streaming tool's output. Its data is JSON (dicts, lists, numbers), UTF-8 text
 * (strings) or raw bytes, as {@link #contentType()} tells.
 *
 * @param sequence the chunk's number in its stream, from 1
 * @param data the raw chunk bytes
 * @param isFinal whether this is the stream's last chunk
 * @param metadata chunk metadata from the worker
 */
public record StreamChunk(long sequence, byte[] data, boolean isFinal, Map<String, String> metadata) {
  /** Content type of JSON chunks. */
  public static final String JSON = "application/json";
  /** Content type of text chunks. */
  public static final String TEXT = "text/plain";
  /** Content type of byte chunks. */
  public static final String BYTES = "application/octet-stream";

  /** Validates and copies. */
  public StreamChunk {
    Objects.requireNonNull(data, "data");
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  /** The chunk's content type, from the worker's {@code content_type} metadata (JSON when absent). */
  public String contentType() {
    return metadata.getOrDefault("content_type", JSON);
  }

  /** Whether the chunk carries no data (as the closing chunk of a stream often does). */
  public boolean isEmpty() {
    return data.length == 0;
  }

  /** The data as text: UTF-8 decoding of the bytes (for a JSON string, its JSON text). */
  public String text() {
    return new String(data, StandardCharsets.UTF_8);
  }

  /** The data as a Jackson tree. An empty chunk is JSON null; a text chunk is a JSON string. */
  public JsonNode asJson() {
    if (data.length == 0) {
      return SnakepitJson.mapper().nullNode();
    }
    if (TEXT.equals(contentType())) {
      return SnakepitJson.mapper().getNodeFactory().textNode(text());
    }
    return SnakepitJson.readTree(data, "stream chunk " + sequence);
  }

  /** The data mapped onto a Java type through Jackson. */
  public <T> T as(Class<T> type) {
    return SnakepitJson.convert(asJson(), type, "stream chunk " + sequence);
  }

  /** The data as a map; throws {@link IllegalStateException} if it is not a JSON object. */
  public Map<String, Object> asMap() {
    var node = asJson();
    if (!node.isObject()) {
      throw new IllegalStateException("Stream chunk " + sequence + " is not a JSON object: " + text());
    }
    return SnakepitJson.convert(node, new TypeReference<Map<String, Object>>() {}, "stream chunk " + sequence);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof StreamChunk c && c.sequence == sequence && c.isFinal == isFinal
        && java.util.Arrays.equals(c.data, data) && c.metadata.equals(metadata);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(sequence) * 31 + java.util.Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    var shown = BYTES.equals(contentType()) ? data.length + " bytes" : text();
    return "StreamChunk{#" + sequence + (isFinal ? " final" : "") + ", " + shown + "}";
  }
}
