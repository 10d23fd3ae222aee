package dev.snakepit.internal.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.snakepit.SnakepitJson;
import java.io.IOException;

/** The library's Jackson mapper ({@link SnakepitJson}), and helpers that turn Jackson failures into clear messages. */
public final class Json {
  private static final ObjectMapper MAPPER = SnakepitJson.mapper();
  private static final ObjectWriter ARGUMENT_WRITER = MAPPER.writer().without(JsonWriteFeature.WRITE_NAN_AS_STRINGS);

  private Json() {}

  /** The shared, thread-safe mapper. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Parses JSON text; {@code what} names the text in the error. */
  public static JsonNode readTree(byte[] json, String what) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException("Malformed JSON in " + what + ": " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
    }
  }

  /** Converts a tree to a Java type; {@code what} names the value in the error. */
  public static <T> T convert(JsonNode node, Class<T> type, String what) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new IllegalStateException("Cannot map " + what + " onto " + type.getName() + ": " + e.getMessage(), e);
    }
  }

  /** Converts a tree to a generic Java type; {@code what} names the value in the error. */
  public static <T> T convert(JsonNode node, TypeReference<T> type, String what) {
    try {
      return MAPPER.readValue(MAPPER.treeAsTokens(node), type);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException("Cannot map " + what + " onto " + type.getType() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Serializes a tool argument to UTF-8 JSON. NaN and the infinities are written as the bare tokens
   * {@code NaN}, {@code Infinity}, {@code -Infinity}, which Python's json reads as the floats they are
   * (as results carry them the other way, Snakepit-compatible); Jackson's default would quote them,
   * and the tool would receive the string "NaN".
   */
  public static byte[] writeArgument(Object value) throws JsonProcessingException {
    return ARGUMENT_WRITER.writeValueAsBytes(value);
  }

  /** Serializes a value to UTF-8 JSON; throws {@link JsonProcessingException} for values Jackson cannot write. */
  public static byte[] write(Object value) throws JsonProcessingException {
    return MAPPER.writeValueAsBytes(value);
  }
}
