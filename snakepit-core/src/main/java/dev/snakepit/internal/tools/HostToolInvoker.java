package dev.snakepit.internal.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snakepit.HostTool;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.SnakepitException;
import dev.snakepit.ToolResult;
import dev.snakepit.internal.codec.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs host tool calls: look-up, argument checks, the handler on its own virtual thread under a
 * time limit, and the encoding of the result or of the error document Python decodes
 * ({@code {type, message, traceback, stacktrace, context}}). Knows nothing of gRPC: the host server
 * translates requests and outcomes.
 */
public final class HostToolInvoker {
  private static final Logger LOG = LoggerFactory.getLogger(HostToolInvoker.class);
  /** Room left in a message for everything but the result payload. */
  private static final int ENVELOPE_BYTES = 64 * 1024;
  private static final int MAX_TRACEBACK_CHARS = 64 * 1024;
  private static final byte[] NULL_JSON = "null".getBytes(StandardCharsets.UTF_8);

  /**
   * The outcome of one call: a JSON result, a binary result, or an error document.
   *
   * @param success whether the tool succeeded
   * @param json the result's JSON text (success, not binary)
   * @param binary the result's bytes (success, binary)
   * @param errorJson the error document (failure)
   * @param executionTimeMs time from the request to the outcome
   */
  public record Outcome(boolean success, byte[] json, ByteBuffer binary, String errorJson, long executionTimeMs) {}

  /** Decodes a request's arguments; throws {@link InvalidArgumentsException} for a malformed one. */
  @FunctionalInterface
  public interface ArgumentDecoder {
    /** The decoded arguments: JSON values as Java objects, binary ones as {@code byte[]}. */
    Map<String, Object> decode();
  }

  private final HostToolRegistry registry;
  private final ExecutorService executor;
  private final int maxResultBytes;

  /** An invoker running handlers on {@code executor} (one virtual thread per task). */
  public HostToolInvoker(HostToolRegistry registry, ExecutorService executor, int maxMessageSize) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.maxResultBytes = Math.max(1, maxMessageSize - ENVELOPE_BYTES);
  }

  /** The tools Python may see and call in {@code sessionId}, sorted by name. */
  public List<HostTool> exposedTo(String sessionId) {
    return registry.visibleTo(sessionId).stream().filter(HostTool::exposedToPython).toList();
  }

  /**
   * Starts a call. Look-up and argument failures complete at once; otherwise the handler starts on its
   * own thread.
   *
   * @param callerRemaining the time the caller still waits (its gRPC deadline), or null when it set none
   */
  public Call start(String sessionId, String toolName, Map<String, String> metadata, ArgumentDecoder arguments,
      Duration callerRemaining) {
    long started = System.nanoTime();
    var tool = registry.find(sessionId, toolName).filter(HostTool::exposedToPython).orElse(null);
    if (tool == null) {
      var available = exposedTo(sessionId).stream().map(HostTool::name).toList();
      var context = baseContext(toolName, sessionId);
      context.putPOJO("available_tools", available);
      var message = "Unknown host tool '" + toolName + "'. Available host tools: "
          + (available.isEmpty() ? "(none)" : String.join(", ", available)) + ".";
      return new Call(error("HostToolNotFoundError", message, "", context, started));
    }
    HostTool.Invocation invocation;
    try {
      invocation = tool.bind(arguments.decode());
    } catch (InvalidArgumentsException e) {
      return new Call(invalidArguments(e, toolName, sessionId, started));
    }
    var limit = registry.timeoutOf(tool);
    if (callerRemaining != null && callerRemaining.compareTo(limit) < 0) {
      limit = callerRemaining;
    }
    long deadline = started + limit.toNanos();
    var context = new CallContext(toolName, sessionId, metadata, deadline, registry);
    try {
      Future<Outcome> future = executor.submit(() -> run(invocation, context, started));
      return new Call(future, deadline, limit, toolName, sessionId, started);
    } catch (RejectedExecutionException e) {
      return new Call(error("HostShutdownError", "The host is shutting down; host tool '" + toolName + "' did not run.",
          "", baseContext(toolName, sessionId), started));
    }
  }

  /** One call in progress (or already decided). */
  public final class Call {
    private final Outcome decided;
    private final Future<Outcome> future;
    private final long deadlineNanos;
    private final Duration limit;
    private final String toolName;
    private final String sessionId;
    private final long started;

    private Call(Outcome decided) {
      this.decided = decided;
      this.future = null;
      this.deadlineNanos = 0;
      this.limit = Duration.ZERO;
      this.toolName = null;
      this.sessionId = null;
      this.started = 0;
    }

    private Call(Future<Outcome> future, long deadlineNanos, Duration limit, String toolName, String sessionId, long started) {
      this.decided = null;
      this.future = future;
      this.deadlineNanos = deadlineNanos;
      this.limit = limit;
      this.toolName = toolName;
      this.sessionId = sessionId;
      this.started = started;
    }

    /** Interrupts the handler (the caller went away). */
    public void cancel() {
      if (future != null) {
        future.cancel(true);
      }
    }

    /** Waits for the outcome; past the call's time limit the handler is interrupted and the outcome is a timeout. */
    public Outcome await() {
      if (decided != null) {
        return decided;
      }
      try {
        return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        future.cancel(true);
        var context = baseContext(toolName, sessionId).put("timeout_ms", limit.toMillis());
        return error("HostToolTimeoutError", "Host tool '" + toolName + "' did not finish within " + limit.toMillis()
            + " ms (the caller's deadline or the tool's timeout) and was interrupted.", "", context, started);
      } catch (CancellationException e) {
        return cancelled();
      } catch (InterruptedException e) {
        future.cancel(true);
        Thread.currentThread().interrupt();
        return cancelled();
      } catch (ExecutionException e) {
        return failure(e.getCause(), toolName, sessionId, started);
      }
    }

    private Outcome cancelled() {
      return error("CancelledError", "Host tool '" + toolName + "' was cancelled: its caller went away.", "",
          baseContext(toolName, sessionId), started);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // On the handler's thread
  // ---------------------------------------------------------------------------------------------

  private Outcome run(HostTool.Invocation invocation, CallContext context, long started) {
    var toolName = context.toolName();
    var sessionId = context.sessionId().orElse("");
    Object value;
    var observed = registry.observer().start(toolName, sessionId, context.metadata());
    try {
      value = invocation.run(context);
    } catch (Throwable t) {
      observed.completed(null, t);
      if (t instanceof VirtualMachineError fatal && !(t instanceof StackOverflowError)) {
        throw fatal;
      }
      if (t instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return failure(t, toolName, sessionId, started);
    }
    observed.completed(null, null);
    return encode(value, toolName, sessionId, started);
  }

  private Outcome encode(Object value, String toolName, String sessionId, long started) {
    byte[] json = null;
    ByteBuffer binary = null;
    switch (value) {
      case null -> json = NULL_JSON;
      case ToolResult result when result.isBinary() -> binary = result.byteBuffer();
      case ToolResult result -> json = result.json().getBytes(StandardCharsets.UTF_8);
      case byte[] bytes -> binary = ByteBuffer.wrap(bytes);
      case ByteBuffer buffer -> binary = buffer.duplicate();
      default -> {
        try {
          json = Json.write(value);
        } catch (JsonProcessingException e) {
          return error("SerializationError", "Host tool '" + toolName + "' returned a " + value.getClass().getName()
              + " that cannot be encoded as JSON: " + e.getOriginalMessage()
              + ". Return maps, lists, strings, numbers, booleans, records/POJOs, or byte[] for bytes.",
              traceback(e), baseContext(toolName, sessionId), started);
        }
      }
    }
    long size = json != null ? json.length : binary.remaining();
    if (size > maxResultBytes) {
      var context = baseContext(toolName, sessionId).put("size", size).put("limit", maxResultBytes);
      return error("PayloadTooLargeError", "The result of host tool '" + toolName + "' is " + size
          + " bytes, more than the " + maxResultBytes + " a message can carry.", "", context, started);
    }
    return new Outcome(true, json, binary, null, millisSince(started));
  }

  // ---------------------------------------------------------------------------------------------
  // Error documents
  // ---------------------------------------------------------------------------------------------

  private Outcome failure(Throwable error, String toolName, String sessionId, long started) {
    LOG.debug("Host tool '{}' failed", toolName, error);
    var context = baseContext(toolName, sessionId);
    if (error instanceof SnakepitException snakepit) {
      context.put("error_code", snakepit.code().name());
    }
    var message = error.getMessage() == null ? "" : error.getMessage();
    return error(error.getClass().getName(), message, traceback(error), context, started);
  }

  private Outcome invalidArguments(InvalidArgumentsException e, String toolName, String sessionId, long started) {
    var context = baseContext(toolName, sessionId);
    e.parameter().ifPresent(v -> context.put("parameter", v));
    e.expected().ifPresent(v -> context.put("expected", v));
    e.received().ifPresent(v -> context.put("received", v));
    e.problem().ifPresent(v -> context.put("problem", v));
    return error("InvalidArgumentsError", e.getMessage(), "", context, started);
  }

  private static ObjectNode baseContext(String toolName, String sessionId) {
    var context = Json.mapper().createObjectNode();
    context.put("tool_name", toolName);
    context.put("session_id", sessionId == null ? "" : sessionId);
    return context;
  }

  private static Outcome error(String type, String message, String traceback, ObjectNode context, long started) {
    var document = Json.mapper().createObjectNode();
    document.put("type", type);
    document.put("message", message);
    document.put("traceback", traceback);
    var lines = document.putArray("stacktrace");
    traceback.lines().forEach(lines::add);
    document.set("context", context);
    return new Outcome(false, null, null, document.toString(), millisSince(started));
  }

  private static String traceback(Throwable error) {
    var text = new StringWriter();
    error.printStackTrace(new PrintWriter(text));
    var trace = text.toString();
    return trace.length() > MAX_TRACEBACK_CHARS ? trace.substring(0, MAX_TRACEBACK_CHARS) + "\n...(truncated)" : trace;
  }

  private static long millisSince(long started) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
  }
}
