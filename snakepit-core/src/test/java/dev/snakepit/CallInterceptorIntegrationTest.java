package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link CallInterceptor}s see every call in both directions and can add request metadata. */
@ExtendWith(LeakCheck.class)
class CallInterceptorIntegrationTest {
  private static final Duration BOUND = Duration.ofSeconds(10);

  /** Records starts and completions; stamps a header on tool calls. */
  static final class Recorder implements CallInterceptor, PoolEventListener {
    final List<String> log;
    final List<ToolCall> toolCalls = new CopyOnWriteArrayList<>();
    final List<HostToolCall> hostCalls = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    final List<HostToolCalled> hostEvents = new CopyOnWriteArrayList<>();
    final String name;

    Recorder(String name) {
      this(name, new CopyOnWriteArrayList<>());
    }

    Recorder(String name, List<String> log) {
      this.name = name;
      this.log = log;
    }

    @Override
    public Completion toolCall(ToolCall call, Map<String, String> metadata) {
      toolCalls.add(call);
      metadata.put("stamp-" + name, "on " + Thread.currentThread().getName());
      log.add(name + " start " + call.tool());
      return (workerId, error) -> {
        log.add(name + " end " + call.tool() + " on " + workerId + (error == null ? "" : " " + error.getClass().getSimpleName()));
        if (error != null) {
          errors.add(error);
        }
      };
    }

    @Override
    public Completion hostToolCall(HostToolCall call) {
      hostCalls.add(call);
      var thread = Thread.currentThread();
      log.add(name + " host start " + call.tool());
      return (workerId, error) -> log.add(name + " host end " + call.tool() + " same thread " + (thread == Thread.currentThread()));
    }

    @Override
    public void hostToolCalled(HostToolCalled event) {
      hostEvents.add(event);
    }
  }

  private static SnakepitConfig.Builder observed() {
    return TestPools.config().adapter("snakepit_test_adapters.observed.ObservedAdapter");
  }

  @Test
  void interceptorsAddMetadataPythonSeesAndHearTheEndWithTheServingWorker() {
    var log = new CopyOnWriteArrayList<String>();
    var outer = new Recorder("outer", log);
    var inner = new Recorder("inner", log);
    try (var pit = Snakepit.start(observed().callInterceptor(outer).callInterceptor(inner).build())) {
      var options = CallOptions.defaults().withMetadata("correlation_id", "cid-i1").withSessionId("s-1");
      var seen = pit.execute("metadata", Map.of(), options).asMap();

      assertThat(seen).containsEntry("correlation_id", "cid-i1")
          .containsEntry("stamp-outer", "on " + Thread.currentThread().getName())
          .containsKey("stamp-inner");
      assertThat(outer.toolCalls).singleElement()
          .isEqualTo(new CallInterceptor.ToolCall("metadata", "s-1", false, "cid-i1"));
      var worker = pit.workerIds().getFirst();
      // Started in registration order, completed in reverse.
      Waiting.require("both completions", BOUND, () -> log.size() == 4);
      assertThat(log).containsExactly("outer start metadata", "inner start metadata",
          "inner end metadata on " + worker, "outer end metadata on " + worker);
    }
  }

  @Test
  void failuresAndStreamsReachTheCompletionAndAGeneratedCorrelationIdIsShared() {
    var recorder = new Recorder("r");
    try (var pit = Snakepit.start(observed().callInterceptor(recorder).build())) {
      assertThatThrownBy(() -> pit.execute("fail")).isInstanceOf(PythonException.class);
      try (var stream = pit.stream("count", Map.of("n", 3), CallOptions.defaults())) {
        assertThat(stream.stream().count()).isGreaterThanOrEqualTo(3);
      }
      pit.stream("count", Map.of("n", 2), CallOptions.defaults(), chunk -> {}).join();

      Waiting.require("three completions", BOUND, () -> recorder.log.stream().filter(l -> l.contains(" end ")).count() == 3);
      assertThat(recorder.errors).singleElement().isInstanceOf(PythonException.class);
      assertThat(recorder.toolCalls).extracting(CallInterceptor.ToolCall::streaming).containsExactly(false, true, true);
      assertThat(recorder.toolCalls).allSatisfy(c -> assertThat(c.correlationId()).matches("[0-9a-f]{16}"));
      var worker = pit.workerIds().getFirst();
      assertThat(recorder.log).contains("r end count on " + worker);
    }
  }

  @Test
  void hostToolCallsAreInterceptedAroundTheHandlerOnItsThreadAndHeardAsEvents() {
    var recorder = new Recorder("r");
    var hostTool = HostTool.builder("triple")
        .param(ParamSpec.required("x", ParamSpec.NUMBER, "a number"))
        .handler((args, ctx) -> ((Number) args.get("x")).intValue() * 3)
        .build();
    var config = observed().callInterceptor(recorder).eventListener(recorder).hostTool(hostTool).build();
    try (var pit = Snakepit.start(config)) {
      var options = CallOptions.defaults().withMetadata("correlation_id", "cid-host");
      assertThat(pit.execute("call_host", Map.of("tool", "triple", "arguments", Map.of("x", 5)), options).asLong()).isEqualTo(15);

      var worker = pit.workerIds().getFirst();
      assertThat(recorder.hostCalls).singleElement().satisfies(call -> {
        assertThat(call.tool()).isEqualTo("triple");
        assertThat(call.workerId()).isEqualTo(worker);
        assertThat(call.correlationId()).isEqualTo("cid-host");
        assertThat(call.metadata()).containsEntry("correlation_id", "cid-host");
      });
      assertThat(recorder.log).contains("r host start triple", "r host end triple same thread true");
      assertThat(recorder.hostEvents).singleElement().satisfies(event -> {
        assertThat(event.tool()).isEqualTo("triple");
        assertThat(event.workerId()).isEqualTo(worker);
        assertThat(event.succeeded()).isTrue();
        assertThat(event.duration()).isPositive();
      });
    }
  }

  @Test
  void anInterceptorThatThrowsDoesNotBreakTheCall() {
    var broken = new CallInterceptor() {
      @Override
      public Completion toolCall(ToolCall call, Map<String, String> metadata) {
        throw new IllegalStateException("interceptor bug");
      }
    };
    try (var pit = Snakepit.start(observed().callInterceptor(broken).build())) {
      assertThat(pit.execute("metadata").asMap()).containsKey("correlation_id");
    }
  }
}
