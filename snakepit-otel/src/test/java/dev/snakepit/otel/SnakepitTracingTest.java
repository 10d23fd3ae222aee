package dev.snakepit.otel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.snakepit.CallOptions;
import dev.snakepit.HostTool;
import dev.snakepit.ParamSpec;
import dev.snakepit.PythonException;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.Transport;
import dev.snakepit.junit.SnakepitTest;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One trace across Java, Python and Java again: the Java SDK's spans in memory, the Python SDK's
 * spans (one file for every worker) read back from {@link #PYTHON_SPANS}.
 */
@SnakepitTest(adapter = "otel_test_adapters.traced.TracedAdapter", pythonPath = "src/test/python", workers = 2,
    poolName = "traced", environment = "SNAKEPIT_TEST_SPAN_FILE=target/python-spans.jsonl",
    configurers = SnakepitTracingTest.WithTracing.class)
class SnakepitTracingTest {
  static final Path PYTHON_SPANS = Path.of("target/python-spans.jsonl");
  static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
  static final SdkTracerProvider TRACER_PROVIDER =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build();
  static final OpenTelemetrySdk OTEL = OpenTelemetrySdk.builder()
      .setTracerProvider(TRACER_PROVIDER)
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();

  /** Tracing, and a host tool that calls back into Python: Java -> Python -> Java -> Python. */
  static final class WithTracing implements SnakepitTest.Configurer {
    @Override
    public void configure(SnakepitConfig.Builder builder) {
      // The build runs this class once per transport (see the pom): -Dsnakepit.test.transport=GRPC.
      builder.transport(Transport.valueOf(System.getProperty("snakepit.test.transport", "AUTO")));
      builder.callInterceptor(SnakepitTracing.create(OTEL))
          .hostTool(HostTool.builder("java_double")
              .param(ParamSpec.required("x", ParamSpec.NUMBER, "a number"))
              .handler((args, ctx) -> ctx.execute("add", Map.of("a", args.get("x"), "b", args.get("x"))).asLong())
              .build());
    }
  }

  @BeforeEach
  void forgetEarlierSpans() throws IOException {
    SPANS.reset();
    Files.deleteIfExists(PYTHON_SPANS);
  }

  @AfterAll
  static void shutDownTheSdk() {
    OTEL.close();
  }

  private static void await(String what, BooleanSupplier condition) {
    Waiting.require(what, Duration.ofSeconds(10), condition, () -> "Java spans: " + SPANS.getFinishedSpanItems());
  }


  private static SpanData javaSpan(String name) {
    return SPANS.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no Java span '" + name + "' in " + SPANS.getFinishedSpanItems()));
  }

  private static List<JsonNode> pythonSpans() throws IOException {
    var spans = new ArrayList<JsonNode>();
    var mapper = new ObjectMapper();
    for (var line : Files.readAllLines(PYTHON_SPANS)) {
      spans.add(mapper.readTree(line));
    }
    return spans;
  }

  private static JsonNode pythonSpan(List<JsonNode> spans, String name) {
    return spans.stream().filter(s -> s.get("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no Python span '" + name + "' in " + spans));
  }

  @Test
  void oneTraceRunsFromJavaThroughPythonToJavaAndBackIntoPython(Snakepit pit) throws IOException {
    var tracer = OTEL.getTracer("test");
    var root = tracer.spanBuilder("request").startSpan();
    long result;
    try (var scope = root.makeCurrent()) {
      result = pit.execute("round_trip", Map.of("x", 21), CallOptions.defaults().withMetadata("correlation_id", "cid-trace"))
          .asLong();
    } finally {
      root.end();
    }
    assertThat(result).isEqualTo(42);
    await("the client span of round_trip", () -> SPANS.getFinishedSpanItems().stream().anyMatch(s -> s.getName().equals("call round_trip")));

    var traceId = root.getSpanContext().getTraceId();
    var javaCall = javaSpan("call round_trip");
    var javaHost = javaSpan("host_tool java_double");
    var javaNested = javaSpan("call add");
    var python = pythonSpans();
    var pythonTool = pythonSpan(python, "tool round_trip");
    var pythonHost = pythonSpan(python, "host_tool java_double");
    var pythonNested = pythonSpan(python, "tool add");

    // One trace id everywhere...
    assertThat(List.of(javaCall, javaHost, javaNested)).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(traceId));
    assertThat(List.of(pythonTool, pythonHost, pythonNested))
        .allSatisfy(s -> assertThat(s.get("trace_id").asText()).isEqualTo(traceId));
    // ...and each hop is the child of the one before: Java -> Python -> Java -> Python.
    assertThat(javaCall.getParentSpanId()).isEqualTo(root.getSpanContext().getSpanId());
    assertThat(javaCall.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(pythonTool.get("parent_id").asText()).isEqualTo(javaCall.getSpanId());
    assertThat(pythonTool.get("kind").asText()).isEqualTo("SERVER");
    assertThat(pythonHost.get("parent_id").asText()).isEqualTo(pythonTool.get("span_id").asText());
    assertThat(pythonHost.get("kind").asText()).isEqualTo("CLIENT");
    assertThat(javaHost.getParentSpanId()).isEqualTo(pythonHost.get("span_id").asText());
    assertThat(javaHost.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(javaNested.getParentSpanId()).isEqualTo(javaHost.getSpanId());
    assertThat(pythonNested.get("parent_id").asText()).isEqualTo(javaNested.getSpanId());
    // The two tools ran on different workers (the first one was busy waiting for the host tool).
    assertThat(pythonTool.get("worker").asText()).isNotEqualTo(pythonNested.get("worker").asText());

    // The correlation id travels with the trace.
    assertThat(javaCall.getAttributes().get(SnakepitTracing.CORRELATION_ID)).isEqualTo("cid-trace");
    assertThat(javaHost.getAttributes().get(SnakepitTracing.CORRELATION_ID)).isEqualTo("cid-trace");
    assertThat(pythonTool.get("attributes").get("snakepit.correlation_id").asText()).isEqualTo("cid-trace");
    assertThat(javaCall.getAttributes().get(SnakepitTracing.WORKER_ID)).isEqualTo(pythonTool.get("worker").asText());
  }

  @Test
  void theResultNamesThePythonSpanThatServedItAndFailuresMarkBothSides(Snakepit pit) throws IOException {
    var result = pit.execute("add", Map.of("a", 1, "b", 2));
    await("the client span", () -> !SPANS.getFinishedSpanItems().isEmpty());
    var javaCall = javaSpan("call add");
    var traceparent = result.metadata().get("traceparent");
    assertThat(traceparent).startsWith("00-" + javaCall.getTraceId() + "-");
    assertThat(traceparent.split("-")[2]).isEqualTo(pythonSpan(pythonSpans(), "tool add").get("span_id").asText());

    SPANS.reset();
    assertThatThrownBy(() -> pit.execute("fail", Map.of("message", "boom"))).isInstanceOf(PythonException.class);
    await("the failed client span", () -> !SPANS.getFinishedSpanItems().isEmpty());
    var failed = javaSpan("call fail");
    assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(failed.getAttributes().get(SnakepitTracing.ERROR_CODE)).isEqualTo("PYTHON_ERROR");
    assertThat(failed.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
    var pythonFailed = pythonSpan(pythonSpans(), "tool fail");
    assertThat(pythonFailed.get("parent_id").asText()).isEqualTo(failed.getSpanId());
  }
}
