package dev.snakepit.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The CLI's JSON plumbing. The mapper lives in this class only, so commands that print no JSON
 * (help, version) never pay for Jackson's start-up.
 */
final class CliJson {
  private static final ObjectMapper MAPPER = JsonMapper.builder().build();
  private static final ObjectReader STRICT_READER =
      MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  /** Indented like jq: {@code "key": value}, one array element per line. */
  private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter()
      .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
      .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
      .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n")));

  private CliJson() {}

  /** A new, empty JSON object. */
  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** A new, empty JSON array. */
  static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  /** The JSON value {@code text} holds when the whole text is exactly one JSON value; empty otherwise. */
  static Optional<JsonNode> parseStrict(String text) {
    if (text.isBlank()) {
      return Optional.empty();
    }
    try {
      var node = STRICT_READER.readTree(text);
      return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  /** Parses JSON text that is known to be valid (a tool result, a probe's report). */
  static JsonNode parse(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("not JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Converts any Jackson-writable value into a tree. */
  static JsonNode tree(Object value) {
    return MAPPER.valueToTree(value);
  }

  /** One line of JSON. */
  static String compact(JsonNode node) {
    return write(node, false);
  }

  /** Indented JSON, two spaces per level. */
  static String pretty(JsonNode node) {
    return write(node, true);
  }

  private static String write(JsonNode node, boolean pretty) {
    try {
      return pretty ? PRETTY.writeValueAsString(node) : MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
