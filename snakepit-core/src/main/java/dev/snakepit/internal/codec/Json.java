package dev.snakepit.internal.codec;

import com.fasterxml.jackson.core.JsonGenerationException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.snakepit.SnakepitJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** The library's Jackson mapper ({@link SnakepitJson}), and helpers that turn Jackson failures into clear messages. */
public final class Json {
  private static final ObjectMapper MAPPER = SnakepitJson.mapper();

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
   * Serializes a value to UTF-8 JSON, refusing NaN and infinities with {@link NonFiniteNumberException}:
   * JSON has no such numbers, and Jackson would otherwise send them as the strings "NaN" or
   * "Infinity", which a tool then receives as text instead of a number.
   */
  public static byte[] writeFinite(Object value) throws JsonProcessingException {
    var out = new ByteArrayOutputStream(128);
    try (var generator = new FiniteNumbersOnly(MAPPER.getFactory().createGenerator(out))) {
      MAPPER.writeValue(generator, value);
    } catch (JsonProcessingException e) {
      throw e;
    } catch (IOException e) {
      throw new IllegalStateException("writing JSON to memory failed", e);
    }
    return out.toByteArray();
  }

  /** A value held a NaN or an infinity; {@link #value()} is how Java spells it ("NaN", "Infinity", "-Infinity"). */
  public static final class NonFiniteNumberException extends JsonGenerationException {
    private static final long serialVersionUID = 1L;
    private final String value;

    NonFiniteNumberException(String value, JsonGenerator generator) {
      super(value + " is not a JSON number", generator);
      this.value = value;
    }

    public String value() {
      return value;
    }
  }

  private static final class FiniteNumbersOnly extends JsonGeneratorDelegate {
    FiniteNumbersOnly(JsonGenerator delegate) {
      super(delegate, false);
    }

    @Override
    public void writeNumber(double v) throws IOException {
      if (!Double.isFinite(v)) {
        throw new NonFiniteNumberException(Double.toString(v), this);
      }
      super.writeNumber(v);
    }

    @Override
    public void writeNumber(float v) throws IOException {
      if (!Float.isFinite(v)) {
        throw new NonFiniteNumberException(Float.toString(v), this);
      }
      super.writeNumber(v);
    }
  }

  /** Serializes a value to UTF-8 JSON; throws {@link JsonProcessingException} for values Jackson cannot write. */
  public static byte[] write(Object value) throws JsonProcessingException {
    return MAPPER.writeValueAsBytes(value);
  }
}
