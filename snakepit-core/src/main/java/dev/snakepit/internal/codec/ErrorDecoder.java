package dev.snakepit.internal.codec;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.PythonException;
import dev.snakepit.SnakepitException;
import dev.snakepit.ToolNotFoundException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns the protocol's error document ({@code {"type", "message", "traceback", "context"}}) into a typed exception. */
public final class ErrorDecoder {
  private ErrorDecoder() {}

  /** Decodes a worker's error JSON for a call to {@code toolName} on {@code workerId}. */
  public static SnakepitException decode(String errorJson, String toolName, String workerId) {
    JsonNode error;
    try {
      error = Json.mapper().readTree(errorJson.getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      error = null;
    }
    if (error == null || !error.isObject()) {
      // A foreign worker may send plain text: keep it whole as the message.
      return new PythonException(toolName, "UnknownError", errorJson, "", Map.of(), workerId);
    }
    var type = text(error, "type", "UnknownError");
    var message = text(error, "message", "");
    var context = error.path("context");
    return switch (type) {
      case "ToolNotFoundError" -> {
        var available = new ArrayList<String>();
        context.path("available_tools").forEach(n -> available.add(n.asText()));
        available.sort(null);
        yield new ToolNotFoundException(toolName, available, closest(toolName, available), workerId);
      }
      case "InvalidArgumentsError" -> new InvalidArgumentsException(
          message.isEmpty() ? "Invalid arguments for tool '" + toolName + "'." : message, toolName,
          nullableText(context, "parameter"), nullableText(context, "expected"), nullableText(context, "received"),
          nullableText(context, "problem"), workerId);
      // The lane's worker checks its results against maxMessageSize itself and says so (docs/lane.md).
      case "PayloadTooLargeError" -> context.path("limit").canConvertToLong()
          ? new PayloadTooLargeException(toolName, "the " + text(context, "what", "result"),
              context.path("size").asLong(-1), context.path("limit").asLong(), workerId)
          : new PythonException(toolName, type, message, traceback(error), contextMap(context), workerId);
      default -> new PythonException(toolName, type, message, traceback(error), contextMap(context), workerId);
    };
  }

  private static String traceback(JsonNode error) {
    var traceback = error.path("traceback");
    if (traceback.isTextual() && !traceback.textValue().isBlank()) {
      return traceback.textValue();
    }
    var lines = new ArrayList<String>();
    error.path("stacktrace").forEach(n -> lines.add(n.asText()));
    return String.join("\n", lines);
  }

  private static Map<String, Object> contextMap(JsonNode context) {
    if (!context.isObject()) {
      return Map.of();
    }
    Map<String, Object> map = Json.convert(context, new TypeReference<Map<String, Object>>() {}, "error context");
    map.values().removeIf(java.util.Objects::isNull);
    return map;
  }

  private static String text(JsonNode node, String field, String fallback) {
    var value = node.path(field);
    return value.isMissingNode() || value.isNull() ? fallback : value.asText();
  }

  private static String nullableText(JsonNode node, String field) {
    var value = node.path(field);
    return value.isMissingNode() || value.isNull() ? null : value.asText();
  }

  /** The candidate closest to {@code name} by edit distance, when close enough to be a likely typo. */
  public static String closest(String name, List<String> candidates) {
    if (name.length() >= 3) {
      // A leading fragment of a real name ("stream" for "stream_progress") is the likeliest intent.
      var prefixed = candidates.stream().filter(c -> c.startsWith(name)).min(java.util.Comparator.comparingInt(String::length));
      if (prefixed.isPresent()) {
        return prefixed.get();
      }
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (var candidate : candidates) {
      int distance = distance(name.toLowerCase(java.util.Locale.ROOT), candidate.toLowerCase(java.util.Locale.ROOT));
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    int allowed = Math.max(2, name.length() / 3);
    return best != null && bestDistance <= allowed ? best : null;
  }

  private static int distance(String a, String b) {
    var previous = new int[b.length() + 1];
    var current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      var swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
