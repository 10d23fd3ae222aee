package dev.snakepit.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.PoolSaturatedException;
import dev.snakepit.PythonException;
import dev.snakepit.SnakepitException;
import dev.snakepit.StartupFailedException;
import dev.snakepit.ToolNotFoundException;
import dev.snakepit.TransportException;
import dev.snakepit.WorkerCrashedException;
import java.util.Optional;

/**
 * The JSON document {@code snakepit call} writes to stderr when a call fails. Always has
 * {@code type} (the exception's simple name), {@code code} and {@code message}; then {@code tool}
 * and {@code worker_id} when known, and the fields of the particular failure (for a Python error:
 * {@code python_type}, {@code python_message}, {@code traceback}).
 */
final class ErrorReport {
  private ErrorReport() {}

  /** The report of a Snakepit failure. */
  static ObjectNode of(SnakepitException error) {
    var json = CliJson.object();
    json.put("type", error.getClass().getSimpleName());
    json.put("code", error.code().name());
    json.put("message", error.getMessage());
    error.toolName().ifPresent(tool -> json.put("tool", tool));
    error.workerId().ifPresent(worker -> json.put("worker_id", worker));
    switch (error) {
      case ToolNotFoundException e -> {
        e.suggestion().ifPresent(s -> json.put("suggestion", s));
        var tools = json.putArray("available_tools");
        e.availableTools().forEach(tools::add);
      }
      case InvalidArgumentsException e -> {
        putIfPresent(json, "parameter", e.parameter());
        putIfPresent(json, "expected", e.expected());
        putIfPresent(json, "received", e.received());
        putIfPresent(json, "problem", e.problem());
      }
      case PythonException e -> {
        // The exception's message repeats the traceback; the report keeps it in its own field.
        json.put("message", "Tool '" + error.toolName().orElse("?") + "' raised " + e.pythonType() + ": " + e.pythonMessage());
        json.put("python_type", e.pythonType());
        json.put("python_message", e.pythonMessage());
        json.put("traceback", e.traceback());
        if (!e.context().isEmpty()) {
          json.set("context", CliJson.tree(e.context()));
        }
      }
      case CallTimeoutException e -> {
        json.put("timeout_ms", e.timeout().toMillis());
        json.put("phase", e.phase().name());
      }
      case PoolSaturatedException e -> {
        json.put("reason", e.reason().name());
        json.put("workers", e.workers());
        json.put("busy", e.busy());
        json.put("queued", e.queued());
      }
      case StartupFailedException e -> {
        json.put("message", firstLine(e.getMessage()));
        e.exitCode().ifPresent(code -> json.put("exit_code", code));
        json.put("stderr_tail", e.stderrTail());
      }
      case WorkerCrashedException e -> {
        json.put("message", firstLine(e.getMessage()));
        e.exitCode().ifPresent(code -> json.put("exit_code", code));
        e.signal().ifPresent(signal -> json.put("signal", signal));
        json.put("stderr_tail", e.stderrTail());
      }
      case PayloadTooLargeException e -> {
        json.put("size", e.size());
        json.put("limit", e.limit());
      }
      case TransportException e -> json.put("status", e.status());
      case dev.snakepit.DuplicateHostToolException e -> e.sessionId().ifPresent(s -> json.put("session_id", s));
      default -> {
        // PoolClosedException and the rest: type, code and message say it all.
      }
    }
    return json;
  }

  /** The report of a failure outside Snakepit (for example a file that cannot be written). */
  static ObjectNode of(String type, String message) {
    var json = CliJson.object();
    json.put("type", type);
    json.put("message", message);
    return json;
  }

  private static void putIfPresent(ObjectNode json, String field, Optional<String> value) {
    value.ifPresent(v -> json.put(field, v));
  }

  private static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
