package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Host tools called from real Python workers: specs, arguments, bytes, errors, sessions, timeouts. */
@ExtendWith(LeakCheck.class)
class HostToolIntegrationTest {
  private static final String ADAPTER = "snakepit_test_adapters.host_tools.HostToolTestAdapter";
  private static final CountDownLatch SLOW_HANDLER_INTERRUPTED = new CountDownLatch(1);
  private static Snakepit pit;

  @BeforeAll
  static void startPool() {
    var config = TestPools.config()
        .workers(2)
        .adapter(ADAPTER)
        .hostTool(HostTool.builder("parse_json")
            .description("Parse JSON text into a value")
            .param(ParamSpec.required("json_string", ParamSpec.STRING, "the JSON text"))
            .handler((args, ctx) -> parse((String) args.get("json_string")))
            .build())
        .hostTool(HostTool.builder("process_list")
            .description("Aggregate a list of numbers")
            .param(ParamSpec.required("items", ParamSpec.ARRAY, "the numbers"))
            .param(ParamSpec.optional("operation", ParamSpec.STRING, "sum", "sum or count"))
            .param(ParamSpec.optional("limit", ParamSpec.INTEGER, "use at most this many items"))
            .metadata("category", "math")
            .handler((args, ctx) -> Map.of("operation", args.get("operation"), "count", ((List<?>) args.get("items")).size()))
            .build())
        .hostTool(HostTool.builder("reverse_bytes")
            .description("Reverse a binary payload")
            .param(ParamSpec.required("data", ParamSpec.BYTES, "the payload"))
            .handler((args, ctx) -> reversed((byte[]) args.get("data")))
            .build())
        .hostTool(HostTool.builder("describe_value")
            .description("Name the Java type of the argument")
            .param(ParamSpec.required("value", ParamSpec.ANY, "anything"))
            .handler((args, ctx) -> {
              var value = args.get("value");
              return Map.of("java_type", value == null ? "null" : value.getClass().getSimpleName(),
                  "size", value instanceof byte[] bytes ? bytes.length : -1);
            })
            .build())
        .hostTool(HostTool.builder("echo_value")
            .description("Return the argument")
            .param(ParamSpec.optional("value", ParamSpec.ANY, "anything"))
            .handler((args, ctx) -> args.get("value"))
            .build())
        .hostTool(HostTool.of("explode", "Always fails", (args, ctx) -> {
          throw new IllegalStateException("boom from Java");
        }))
        .hostTool(HostTool.of("whoami", "Describe the calling context", (args, ctx) -> Map.of(
            "session_id", ctx.sessionId().orElse(""),
            "worker_id", ctx.workerId().orElse(""),
            "correlation_id", ctx.metadata().getOrDefault("correlation_id", ""),
            "remaining_ms", ctx.remaining().toMillis())))
        .hostTool(HostTool.builder("slow")
            .description("Blocks until interrupted")
            .timeout(Duration.ofMillis(300))
            .handler((args, ctx) -> {
              try {
                new CountDownLatch(1).await();
                return "not reached";
              } catch (InterruptedException e) {
                SLOW_HANDLER_INTERRUPTED.countDown();
                throw e;
              }
            })
            .build())
        .hostTool(HostTool.of("which_thread", "The id of the thread the handler runs on",
            (args, ctx) -> Map.of("thread_id", Thread.currentThread().threadId())))
        .hostTool(HostTool.builder("java_only").exposedToPython(false).handler((args, ctx) -> "hidden").build())
        .build();
    pit = Snakepit.start(config);
  }

  @AfterAll
  static void closePool() {
    pit.close();
  }

  private static Object parse(String json) throws IOException {
    return dev.snakepit.internal.codec.Json.mapper().readValue(json, Object.class);
  }

  private static byte[] reversed(byte[] data) {
    var out = new byte[data.length];
    for (int i = 0; i < data.length; i++) {
      out[i] = data[data.length - 1 - i];
    }
    return out;
  }

  private static ToolResult callHost(String tool, Map<String, ?> arguments) {
    return pit.execute("call_host", Map.of("tool", tool, "arguments", arguments));
  }

  private static Map<String, Object> catching(String tool, Map<String, ?> arguments, boolean raw) {
    return pit.execute("call_host_catching", Map.of("tool", tool, "arguments", arguments, "raw", raw)).asMap();
  }

  private static Map<String, Object> view(String sessionId) {
    var options = sessionId == null ? CallOptions.defaults() : CallOptions.defaults().withSessionId(sessionId);
    return pit.execute("host_tool_view", Map.of(), options).asMap();
  }

  // ---- what Python sees ----------------------------------------------------------------------

  @Test
  void pythonSeesEveryExposedToolAsACallableProxyButNotHiddenOnes() {
    var view = view(null);

    assertThat(view.get("proxies")).isEqualTo(List.of("describe_value", "echo_value", "explode", "parse_json",
        "process_list", "reverse_bytes", "slow", "which_thread", "whoami"));
    assertThat(view.get("aliases")).isEqualTo(view.get("proxies"));
    assertThat(view.get("docs")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("parse_json", "Parse JSON text into a value");
  }

  @Test
  void pythonSeesParameterSpecsWithTypesRequirednessAndJsonDefaults() {
    var specs = pit.execute("host_tool_view", Map.of()).asJson().get("specs");
    List<Map<String, Object>> all = dev.snakepit.internal.codec.Json.convert(specs, new TypeReference<>() {}, "specs");
    var processList = all.stream().filter(s -> s.get("name").equals("process_list")).findFirst().orElseThrow();

    assertThat(processList).containsEntry("description", "Aggregate a list of numbers")
        .containsEntry("metadata", Map.of("category", "math"));
    @SuppressWarnings("unchecked")
    var parameters = (List<Map<String, Object>>) processList.get("parameters");
    assertThat(parameters).extracting(p -> p.get("name")).containsExactly("items", "operation", "limit");
    assertThat(parameters.get(0)).containsEntry("type", "array").containsEntry("required", true)
        .containsEntry("has_default", false).containsEntry("description", "the numbers");
    assertThat(parameters.get(1)).containsEntry("type", "string").containsEntry("required", false)
        .containsEntry("has_default", true).containsEntry("default", "sum")
        .containsEntry("default_type_url", "type.googleapis.com/google.protobuf.StringValue");
    assertThat(parameters.get(2)).containsEntry("type", "integer").containsEntry("required", false)
        .containsEntry("has_default", false);
  }

  // ---- calling ----------------------------------------------------------------------------

  @Test
  void jsonArgumentsReachTheHandlerAndItsResultReachesPython() {
    var json = "{\"a\": [1, 2.5, null], \"b\": {\"c\": true}, \"s\": \"snake \\u00e9\"}";

    var result = callHost("parse_json", Map.of("json_string", json));

    var expected = new HashMap<String, Object>();
    expected.put("a", Arrays.asList(1, 2.5, null));
    expected.put("b", Map.of("c", true));
    expected.put("s", "snake é");
    assertThat(result.asMap()).isEqualTo(expected);
  }

  @Test
  void everyJsonKindSurvivesTheRoundTripThroughPython() {
    for (var value : Arrays.asList("text", 42, 2.5, true, List.of(1, "two"), Map.of("k", "v"), 12345678901234L)) {
      assertThat(callHost("echo_value", Map.of("value", value)).as(Object.class)).as("%s", value).isEqualTo(value);
    }
    assertThat(callHost("echo_value", Map.of()).isNull()).isTrue();
  }

  @Test
  void defaultsAreFilledInBeforeTheHandlerRuns() {
    var result = callHost("process_list", Map.of("items", List.of(1, 2, 3))).asMap();

    assertThat(result).containsEntry("operation", "sum").containsEntry("count", 3);
  }

  @Test
  void bytesTravelRawFromPythonToJavaAndBack() {
    var data = new byte[70_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }

    var result = pit.execute("call_host_bytes", Map.of("tool", "reverse_bytes", "data", data));

    assertThat(result.isBinary()).isTrue();
    assertThat(result.bytes()).isEqualTo(reversed(data));
  }

  @Test
  void pythonBytesArriveInTheHandlerAsAByteArray() {
    var result = pit.execute("call_host_bytes", Map.of("tool", "describe_value", "data", new byte[] {0, 1, 2},
        "argument", "value")).asMap();

    assertThat(result).containsEntry("python_type", "dict")
        .containsEntry("value", Map.of("java_type", "byte[]", "size", 3));
  }

  @Test
  void parametersPackedAsProtobufWrappersAreDecodedTolerantly() {
    // Old Snakepit adapters call the host's gRPC stub themselves; the lane has no stub.
    org.junit.jupiter.api.Assumptions.assumeTrue(TestPools.onGrpc(), "a gRPC-only feature");
    var result = pit.execute("call_host_packed", Map.of("tool", "parse_json", "name", "json_string", "value", "[1, 2]"))
        .asMap();

    assertThat(result).containsEntry("type_url", "type.googleapis.com/snakepit.list").containsEntry("value", List.of(1, 2));
  }

  // ---- errors -----------------------------------------------------------------------------

  @Test
  void anUnknownHostToolRaisesHostToolNotFoundErrorListingTheAvailableOnes() {
    assertThatThrownBy(() -> callHost("no_such_tool", Map.of()))
        .isInstanceOfSatisfying(PythonException.class, e -> {
          assertThat(e.pythonType()).isEqualTo("HostToolNotFoundError");
          assertThat(e.pythonMessage()).contains("'no_such_tool'").contains("parse_json, process_list");
          assertThat(e.context().get("available_tools")).asList().contains("parse_json", "whoami").doesNotContain("java_only");
        });
  }

  @Test
  void theHostAnswersAnUnknownOrHiddenToolWithHostToolNotFoundError() {
    for (var name : List.of("no_such_tool", "java_only")) {
      var outcome = catching(name, Map.of(), true);

      assertThat(outcome).as(name).containsEntry("error", "HostToolNotFoundError");
      assertThat(outcome.get("available_tools")).as(name).asList().contains("explode", "parse_json").doesNotContain("java_only");
    }
  }

  @Test
  void aThrowingHandlerRaisesHostToolErrorWithTheJavaTypeMessageAndStackTrace() {
    var outcome = catching("explode", Map.of(), false);

    assertThat(outcome).containsEntry("error", "HostToolError")
        .containsEntry("remote_type", "java.lang.IllegalStateException")
        .containsEntry("remote_message", "boom from Java");
    assertThat((String) outcome.get("message")).contains("java.lang.IllegalStateException: boom from Java");
    assertThat((String) outcome.get("traceback")).contains("at dev.snakepit.HostToolIntegrationTest");
    assertThat(outcome.get("context")).isEqualTo(Map.of("tool_name", "explode", "session_id", ""));
  }

  @Test
  void aThrowingHandlerFailsTheOuterCallWithAPythonHostToolError() {
    assertThatThrownBy(() -> callHost("explode", Map.of()))
        .isInstanceOfSatisfying(PythonException.class, e -> {
          assertThat(e.pythonType()).isEqualTo("HostToolError");
          assertThat(e.pythonMessage()).isEqualTo("Host tool 'explode' failed: java.lang.IllegalStateException: boom from Java");
          assertThat(e.context()).containsEntry("remote_type", "java.lang.IllegalStateException");
        });
  }

  @Test
  void argumentsAreValidatedBeforeTheHandlerRuns() {
    var missing = catching("process_list", Map.of(), true);
    var unknown = catching("process_list", Map.of("items", List.of(), "colour", "red"), true);
    var wrongType = catching("process_list", Map.of("items", "not a list"), true);

    assertThat(missing).containsEntry("remote_type", "InvalidArgumentsError");
    assertThat(missing.get("context")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("parameter", "items").containsEntry("problem", "missing");
    assertThat(unknown.get("context")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("parameter", "colour").containsEntry("problem", "unexpected");
    assertThat(wrongType.get("context")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("parameter", "items").containsEntry("expected", "array").containsEntry("received", "string");
  }

  @Test
  void aHandlerPastItsTimeoutIsInterruptedAndPythonGetsATimeoutError() throws InterruptedException {
    long started = System.nanoTime();

    var outcome = catching("slow", Map.of(), false);

    assertThat(outcome).containsEntry("error", "HostToolError").containsEntry("remote_type", "HostToolTimeoutError");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(SLOW_HANDLER_INTERRUPTED.await(5, TimeUnit.SECONDS)).as("handler interrupted").isTrue();
    // On the lane the handler ran on this very thread: the interrupt that stopped it must not linger.
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(callHost("echo_value", Map.of("value", 7)).asLong()).isEqualTo(7L);
  }

  @Test
  void onTheLaneABlockingCallersHostCallRunsOnTheCallersOwnThread() {
    assumeFalse(TestPools.onGrpc(), "over gRPC host calls arrive on the host's callback server");

    var seen = callHost("which_thread", Map.of()).asMap();

    // No hand-off: the caller only waits for the tool, which waits for this answer.
    assertThat(((Number) seen.get("thread_id")).longValue()).isEqualTo(Thread.currentThread().threadId());
  }

  @Test
  void anAsynchronousCallersHostCallRunsOnAHostCallThread() throws Exception {
    var seen = pit.executeAsync("call_host", Map.of("tool", "which_thread", "arguments", Map.of()))
        .get(10, TimeUnit.SECONDS).asMap();

    assertThat(((Number) seen.get("thread_id")).longValue()).isNotEqualTo(Thread.currentThread().threadId());
  }

  // ---- context, runtime registration, sessions --------------------------------------------

  @Test
  void theHandlerSeesTheSessionTheWorkerTheCorrelationIdAndTheCallersBudget() {
    var options = CallOptions.defaults().withSessionId("ctx-session").withMetadata("correlation_id", "corr-42")
        .withTimeout(Duration.ofSeconds(5));

    var outer = pit.execute("call_host", Map.of("tool", "whoami", "arguments", Map.of()), options);

    var seen = outer.asMap();
    assertThat(seen).containsEntry("session_id", "ctx-session").containsEntry("correlation_id", "corr-42")
        .containsEntry("worker_id", outer.workerId());
    // The caller's 5 s budget, not the pool's 20 s call timeout (gRPC rounds deadlines up a little).
    assertThat(((Number) seen.get("remaining_ms")).longValue()).isBetween(1L, 5_100L);
  }

  @Test
  void toolsRegisteredAtRuntimeAreCallableUntilUnregistered() {
    pit.hostTools().register(HostTool.of("late_tool", "Registered after start", (args, ctx) -> "late:" + args.get("x")));
    try {
      assertThat(callHost("late_tool", Map.of("x", 1)).asText()).isEqualTo("late:1");
    } finally {
      assertThat(pit.hostTools().unregister("late_tool")).isTrue();
    }
    assertThat(catching("late_tool", Map.of(), true)).containsEntry("error", "HostToolNotFoundError");
  }

  @Test
  void runtimeRegistrationRejectsADuplicateName() {
    assertThatThrownBy(() -> pit.hostTools().register(HostTool.of("parse_json", "again", (args, ctx) -> null)))
        .isInstanceOf(DuplicateHostToolException.class);
  }

  @Test
  void aSessionToolIsVisibleAndCallableOnlyInItsSessionAndGoesAwayWithIt() {
    pit.hostTools().registerForSession("session-a", HostTool.of("secret", "Only for session-a", (args, ctx) -> "s3cret"));
    var inA = CallOptions.defaults().withSessionId("session-a");
    var inB = CallOptions.defaults().withSessionId("session-b");

    assertThat(view("session-a").get("proxies")).asList().contains("secret");
    assertThat(view("session-b").get("proxies")).asList().doesNotContain("secret");
    assertThat(view(null).get("proxies")).asList().doesNotContain("secret");
    assertThat(pit.execute("call_host", Map.of("tool", "secret"), inA).asText()).isEqualTo("s3cret");
    assertThat(pit.execute("call_host_catching", Map.of("tool", "secret", "raw", true), inB).asMap())
        .containsEntry("error", "HostToolNotFoundError");

    // SessionContext's host.cleanup_session: CleanupSession on gRPC, a HOST_TOOLS frame on the lane.
    var cleanup = pit.execute("cleanup_session", Map.of(), inA).asMap();

    assertThat(cleanup).containsEntry("success", true);
    assertThat(pit.hostTools().visibleTo("session-a")).extracting(HostTool::name).doesNotContain("secret");
    assertThat(view("session-a").get("proxies")).asList().doesNotContain("secret");
  }
}
