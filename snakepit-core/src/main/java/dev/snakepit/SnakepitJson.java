package dev.snakepit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;

/**
 * The Jackson mapper the library encodes arguments and decodes results with: JDK 8 and java.time
 * types, ISO dates, unknown properties ignored. Use it to convert values exactly as the library does.
 */
public final class SnakepitJson {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new Jdk8Module())
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      // Python's json writes NaN, Infinity and -Infinity as bare tokens: they are doubles, not errors.
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  private SnakepitJson() {}

  /** The shared, thread-safe mapper; do not reconfigure it. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Parses JSON text; {@code what} names the text in the error. */
  static JsonNode readTree(byte[] json, String what) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException("Malformed JSON in " + what + ": " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
    }
  }

  /** Converts a tree to a Java type; {@code what} names the value in the error. */
  static <T> T convert(JsonNode node, Class<T> type, String what) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new IllegalStateException("Cannot map " + what + " onto " + type.getName() + ": " + e.getMessage(), e);
    }
  }

  /** Converts a tree to a generic Java type; {@code what} names the value in the error. */
  static <T> T convert(JsonNode node, TypeReference<T> type, String what) {
    try {
      return MAPPER.readValue(MAPPER.treeAsTokens(node), type);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException("Cannot map " + what + " onto " + type.getType() + ": " + e.getMessage(), e);
    }
  }

  /** Serializes a value to UTF-8 JSON; throws {@link JsonProcessingException} for values Jackson cannot write. */
  static byte[] write(Object value) throws JsonProcessingException {
    return MAPPER.writeValueAsBytes(value);
  }
}
