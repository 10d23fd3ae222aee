package dev.snakepit.internal.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snakepit.HostTool;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.SnakepitException;
import dev.snakepit.ToolResult;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.time.Scheduler;
import dev.snakepit.internal.time.Ticker;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs host tool calls: look-up, argument checks, the handler under a time limit (on its own virtual
 * thread, or on the caller's thread for {@link #runHere}), and the encoding of the result or of the error document Python decodes
 * ({@code {type, message, traceback, stacktrace, context}}). Knows nothing of gRPC: the host server
 * translates requests and outcomes.
 */
public final class HostToolInvoker implements HostCalls {
  private static final Logger LOG = LoggerFactory.getLogger(HostToolInvoker.class);
  /** Room left in a message for everything but the result payload. */
  private static final int ENVELOPE_BYTES = 64 * 1024;
  private static final int MAX_TRACEBACK_CHARS = 64 * 1024;
  private static final byte[] NULL_JSON = "null".getBytes(StandardCharsets.UTF_8);

  private final HostToolRegistry registry;
  private final ExecutorService executor;
  private final int maxResultBytes;
  private final HostContextFactory contexts;
  private final Ticker ticker;
  private final Scheduler timer;

  /**
   * An invoker running handlers on {@code executor} (one virtual thread per task), giving each the
   * context {@code contexts} makes; {@code timer} interrupts handlers run in place at their time limit.
   */
  public HostToolInvoker(HostToolRegistry registry, ExecutorService executor, int maxMessageSize,
      HostContextFactory contexts, Ticker ticker, Scheduler timer) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.maxResultBytes = Math.max(1, maxMessageSize - ENVELOPE_BYTES);
    this.contexts = Objects.requireNonNull(contexts, "contexts");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.timer = Objects.requireNonNull(timer, "timer");
  }

  @Override
  public List<HostTool> exposedTo(String sessionId) {
    return registry.visibleTo(sessionId).stream().filter(HostTool::exposedToPython).toList();
  }

  @Override
  public Call start(String sessionId, String toolName, Map<String, String> metadata, ArgumentDecoder arguments,
      Duration callerRemaining) {
    var prepared = prepare(sessionId, toolName, metadata, arguments, callerRemaining);
    if (prepared.decided != null) {
      return new Call(prepared.decided);
    }
    try {
      Future<Outcome> future = executor.submit(() -> run(prepared.invocation, prepared.context, prepared.started));
      return new Call(future, prepared.deadline, prepared.limit, toolName, sessionId, prepared.started);
    } catch (RejectedExecutionException e) {
      return new Call(error("HostShutdownError", "The host is shutting down; host tool '" + toolName + "' did not run.",
          "", baseContext(toolName, sessionId), prepared.started));
    }
  }

  @Override
  public Outcome runHere(String sessionId, String toolName, Map<String, String> metadata, ArgumentDecoder arguments,
      Duration callerRemaining) {
    var prepared = prepare(sessionId, toolName, metadata, arguments, callerRemaining);
    if (prepared.decided != null) {
      return prepared.decided;
    }
    var alarm = new Alarm(Thread.currentThread());
    var scheduled = timer.schedule(alarm::ring, prepared.limit);
    Outcome outcome;
    try {
      outcome = run(prepared.invocation, prepared.context, prepared.started);
    } finally {
      scheduled.cancel();
    }
    if (alarm.silence()) {
      var context = baseContext(toolName, sessionId).put("timeout_ms", prepared.limit.toMillis());
      return error("HostToolTimeoutError", "Host tool '" + toolName + "' did not finish within "
          + prepared.limit.toMillis() + " ms (the caller's deadline or the tool's timeout) and was interrupted.", "",
          context, prepared.started);
    }
    return outcome;
  }

  /** A call ready to run, or its outcome when look-up or the arguments already decided it. */
  private record Prepared(Outcome decided, HostTool.Invocation invocation, dev.snakepit.HostToolContext context,
      long started, long deadline, Duration limit) {}

  private Prepared prepare(String sessionId, String toolName, Map<String, String> metadata, ArgumentDecoder arguments,
      Duration callerRemaining) {
    long started = ticker.read();
    var tool = registry.find(sessionId, toolName).filter(HostTool::exposedToPython).orElse(null);
    if (tool == null) {
      var available = exposedTo(sessionId).stream().map(HostTool::name).toList();
      var context = baseContext(toolName, sessionId);
      context.putPOJO("available_tools", available);
      var message = "Unknown host tool '" + toolName + "'. Available host tools: "
          + (available.isEmpty() ? "(none)" : String.join(", ", available)) + ".";
      return decided(error("HostToolNotFoundError", message, "", context, started));
    }
    HostTool.Invocation invocation;
    try {
      invocation = tool.bind(arguments.decode());
    } catch (InvalidArgumentsException e) {
      return decided(invalidArguments(e, toolName, sessionId, started));
    }
    var limit = registry.timeoutOf(tool);
    if (callerRemaining != null && callerRemaining.compareTo(limit) < 0) {
      limit = callerRemaining;
    }
    long deadline = started + limit.toNanos();
    var context = contexts.create(toolName, sessionId == null || sessionId.isEmpty() ? null : sessionId, metadata,
        () -> Duration.ofNanos(Math.max(0, deadline - ticker.read())));
    return new Prepared(null, invocation, context, started, deadline, limit);
  }

  private static Prepared decided(Outcome outcome) {
    return new Prepared(outcome, null, null, 0, 0, Duration.ZERO);
  }

  /**
   * Interrupts a handler run in place when its time limit passes. {@link #silence} tells whether it
   * rang, and if so waits until the interrupt landed and clears it, so it cannot hit the thread's
   * next task.
   */
  private static final class Alarm {
    private static final int ARMED = 0;
    private static final int RINGING = 1;
    private static final int RUNG = 2;
    private static final int SILENCED = 3;
    private final Thread thread;
    private final AtomicInteger state = new AtomicInteger(ARMED);

    Alarm(Thread thread) {
      this.thread = thread;
    }

    void ring() {
      if (state.compareAndSet(ARMED, RINGING)) {
        thread.interrupt();
        state.set(RUNG);
      }
    }

    boolean silence() {
      if (state.compareAndSet(ARMED, SILENCED)) {
        return false;
      }
      while (state.get() != RUNG) {
        Thread.onSpinWait();
      }
      Thread.interrupted();
      return true;
    }
  }

  /** One call in progress (or already decided). */
  public final class Call implements HostCalls.Pending {
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

    @Override
    public void cancel() {
      if (future != null) {
        future.cancel(true);
      }
    }

    @Override
    public Outcome await() {
      if (decided != null) {
        return decided;
      }
      try {
        return future.get(Math.max(0, deadlineNanos - ticker.read()), TimeUnit.NANOSECONDS);
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

  private Outcome run(HostTool.Invocation invocation, dev.snakepit.HostToolContext context, long started) {
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

  private Outcome error(String type, String message, String traceback, ObjectNode context, long started) {
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

  private long millisSince(long started) {
    return TimeUnit.NANOSECONDS.toMillis(ticker.read() - started);
  }
}
