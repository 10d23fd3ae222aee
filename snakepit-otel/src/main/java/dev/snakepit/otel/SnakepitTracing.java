package dev.snakepit.otel;

import dev.snakepit.CallInterceptor;
import dev.snakepit.SnakepitException;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Map;
import java.util.Objects;

/**
 * OpenTelemetry tracing for a pool: a CLIENT span per tool call whose W3C {@code traceparent}
 * travels to Python in the request metadata (where {@code snakepit_bridge} continues the trace), and
 * a SERVER span per host tool call continuing the {@code traceparent} Python sent, made current
 * while the handler runs so its nested calls join the trace. One trace then shows Java, Python and
 * Java again.
 *
 * <pre>{@code
 * var pit = Snakepit.start(SnakepitConfig.builder().adapter("my_pkg.MyAdapter")
 *     .callInterceptor(SnakepitTracing.create(openTelemetry))
 *     .build());
 * }</pre>
 *
 * <p>Spans are named {@code call <tool>} and {@code host_tool <tool>}, with attributes
 * {@code rpc.system=snakepit}, {@code rpc.method}, {@code snakepit.correlation_id},
 * {@code snakepit.session_id}, {@code snakepit.worker_id} and, on failure,
 * {@code snakepit.error_code}. The trace context is always sent as W3C trace context (what the
 * Python side reads), plus whatever the configured propagators add (baggage, for example).
 */
public final class SnakepitTracing implements CallInterceptor {
  /** The instrumentation scope name of the spans. */
  public static final String INSTRUMENTATION_NAME = "dev.snakepit";

  static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  static final AttributeKey<String> CORRELATION_ID = AttributeKey.stringKey("snakepit.correlation_id");
  static final AttributeKey<String> SESSION_ID = AttributeKey.stringKey("snakepit.session_id");
  static final AttributeKey<String> WORKER_ID = AttributeKey.stringKey("snakepit.worker_id");
  static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("snakepit.error_code");
  static final AttributeKey<Boolean> STREAMING = AttributeKey.booleanKey("snakepit.streaming");

  private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapSetter<Map<String, String>> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      carrier.put(key, value);
    }
  };
  private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  private SnakepitTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION_NAME);
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  /** Tracing through {@code openTelemetry} (its tracer provider and propagators). */
  public static SnakepitTracing create(OpenTelemetry openTelemetry) {
    return new SnakepitTracing(Objects.requireNonNull(openTelemetry, "openTelemetry"));
  }

  @Override
  public Completion toolCall(ToolCall call, Map<String, String> metadata) {
    var builder = tracer.spanBuilder("call " + call.tool())
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute(RPC_SYSTEM, "snakepit")
        .setAttribute(RPC_METHOD, call.tool())
        .setAttribute(CORRELATION_ID, call.correlationId());
    if (call.sessionId() != null) {
      builder.setAttribute(SESSION_ID, call.sessionId());
    }
    if (call.streaming()) {
      builder.setAttribute(STREAMING, true);
    }
    var span = builder.startSpan();
    var context = Context.current().with(span);
    propagator.inject(context, metadata, SETTER);
    W3C.inject(context, metadata, SETTER);
    return (workerId, error) -> end(span, workerId, error);
  }

  @Override
  public Completion hostToolCall(HostToolCall call) {
    var parent = W3C.extract(propagator.extract(Context.current(), call.metadata(), GETTER), call.metadata(), GETTER);
    var builder = tracer.spanBuilder("host_tool " + call.tool())
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute(RPC_SYSTEM, "snakepit")
        .setAttribute(RPC_METHOD, call.tool());
    if (call.correlationId() != null) {
      builder.setAttribute(CORRELATION_ID, call.correlationId());
    }
    if (call.sessionId() != null) {
      builder.setAttribute(SESSION_ID, call.sessionId());
    }
    var span = builder.startSpan();
    var scope = parent.with(span).makeCurrent();
    return (workerId, error) -> {
      scope.close();
      end(span, workerId, error);
    };
  }

  private static void end(Span span, String workerId, Throwable error) {
    if (workerId != null) {
      span.setAttribute(WORKER_ID, workerId);
    }
    if (error != null) {
      span.recordException(error);
      span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
      span.setAttribute(ERROR_CODE, error instanceof SnakepitException se ? se.code().name() : error.getClass().getName());
    }
    span.end();
  }
}
