package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Java -> Python tool -> Java host tool -> another Python tool: succeeds when a second worker is
 * free, and ends with a typed error within the outer budget when none is.
 */
@ExtendWith(LeakCheck.class)
class NestedCallTest {
  private static final Duration OUTER_BUDGET = Duration.ofSeconds(2);
  /** Long enough that the nested call's head start (a fifth) absorbs scheduling delays on a loaded machine. */
  private static final Duration CLEAR_ERROR_BUDGET = Duration.ofSeconds(3);

  /** A host tool that adds two numbers by calling the Python tool {@code add}, within its own budget. */
  private static HostTool addInPython(AtomicReference<Throwable> failure) {
    return HostTool.builder("add_in_python")
        .param(ParamSpec.required("a", ParamSpec.NUMBER, "first addend"))
        .param(ParamSpec.required("b", ParamSpec.NUMBER, "second addend"))
        .handler((args, ctx) -> {
          try {
            var inner = ctx.execute("add", args);
            return Map.of("sum", inner.asJson(), "inner_worker", inner.workerId());
          } catch (RuntimeException e) {
            failure.set(e);
            throw e;
          }
        })
        .build();
  }

  private static Map<String, ?> outerArguments() {
    return Map.of("tool", "add_in_python", "arguments", Map.of("a", 2, "b", 3));
  }

  @Test
  void aNestedCallRunsOnTheOtherWorkerWhenOneIsFreeAndKeepsTheCallersSession() {
    var failure = new AtomicReference<Throwable>();
    var countInSession = HostTool.of("count_in_session", "Bumps the caller's session counter in Python",
        (args, ctx) -> ctx.execute("session_counter", Map.of()));
    var config = TestPools.config().workers(2).hostTool(addInPython(failure)).hostTool(countInSession).build();
    try (var pit = Snakepit.start(config)) {
      var outer = pit.execute("call_host", outerArguments());

      var result = outer.asMap();
      assertThat(result).containsEntry("sum", 5);
      assertThat(result.get("inner_worker")).isNotEqualTo(outer.workerId()).isIn(pit.workerIds());
      assertThat(failure.get()).isNull();

      var inSession = pit.execute("call_host", Map.of("tool", "count_in_session"),
          CallOptions.defaults().withSessionId("nested-session")).asMap();
      assertThat(inSession).containsEntry("session_id", "nested-session").containsEntry("counter", 1);
    }
  }

  @Test
  void aNestedCallWithNoFreeWorkerTimesOutInTimeForTheOuterCallToFailClearly() {
    var failure = new AtomicReference<Throwable>();
    try (var pit = Snakepit.start(TestPools.config().workers(1).hostTool(addInPython(failure)).build())) {
      long started = System.nanoTime();

      assertThatThrownBy(() -> pit.execute("call_host", outerArguments(), CallOptions.defaults().withTimeout(CLEAR_ERROR_BUDGET)))
          .isInstanceOfSatisfying(PythonException.class, e -> {
            assertThat(e.pythonType()).isEqualTo("HostToolError");
            assertThat(e.pythonMessage()).contains("add_in_python").contains("dev.snakepit.CallTimeoutException")
                .contains("timed out");
            assertThat(e.context()).containsEntry("remote_type", "dev.snakepit.CallTimeoutException");
          });

      // The failure above is the nested timeout, not the outer one; this only bounds the wait.
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(CLEAR_ERROR_BUDGET.plusSeconds(1));
      assertThat(failure.get()).isInstanceOfSatisfying(CallTimeoutException.class,
          e -> assertThat(e.phase()).isEqualTo(CallTimeoutException.Phase.QUEUED));
      assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).as("the pool still serves calls").isEqualTo(2);
    }
  }

  /**
   * The handler ignores its budget (the pool's 20 s call timeout): the outer call still fails typed
   * at its own 2 s, and the handler does not linger: it is interrupted at the caller's deadline, or
   * its queued call runs once the outer call gave the worker back, whichever comes first.
   */
  @Test
  void aNestedCallIgnoringTheBudgetEndsWhenTheCallerGivesUp() throws InterruptedException {
    var handlerDone = new CountDownLatch(1);
    var greedy = HostTool.of("greedy_add", "Calls Python with the pool's full call timeout", (args, ctx) -> {
      try {
        return ctx.snakepit().execute("add", Map.of("a", 1, "b", 2)).asJson();
      } finally {
        handlerDone.countDown();
      }
    });
    try (var pit = Snakepit.start(TestPools.config().workers(1).hostTool(greedy).build())) {
      long started = System.nanoTime();

      assertThatThrownBy(() -> pit.execute("call_host", Map.of("tool", "greedy_add"),
          CallOptions.defaults().withTimeout(OUTER_BUDGET)))
          .isInstanceOf(SnakepitException.class);

      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(OUTER_BUDGET.plusSeconds(2));
      assertThat(handlerDone.await(5, TimeUnit.SECONDS)).as("the handler ended").isTrue();
      assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).as("the pool still serves calls").isEqualTo(2);
    }
  }
}
