package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.Gate;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class PoolBehaviourIntegrationTest {

  private static long counter(Snakepit pit, String name) {
    @SuppressWarnings("unchecked")
    var counters = (Map<String, Object>) pit.execute("adapter_info").asMap().get("counters");
    return ((Number) counters.get(name)).longValue();
  }

  @Test
  void timeoutCancelsAnAsyncToolInPythonAndTheWorkerStaysUsable() {
    try (var pit = Snakepit.start(TestPools.config().build())) {
      var options = CallOptions.defaults().withTimeout(Duration.ofMillis(300));

      assertThatThrownBy(() -> pit.execute("sleep", Map.of("ms", 30_000), options))
          .isInstanceOfSatisfying(CallTimeoutException.class, e -> {
            assertThat(e.phase()).isEqualTo(CallTimeoutException.Phase.RUNNING);
            assertThat(e.timeout()).isEqualTo(Duration.ofMillis(300));
            assertThat(e.getMessage()).contains("'sleep'", "300 ms");
          });

      Waiting.require("Python to see the cancellation", Duration.ofSeconds(10), () -> counter(pit, "cancelled_calls") >= 1);
      assertThat(pit.execute("add", Map.of("a", 1, "b", 2)).asLong()).isEqualTo(3);
    }
  }

  @Test
  void timeoutSetsTheCancellationFlagOfASyncTool() {
    try (var pit = Snakepit.start(TestPools.config().build())) {
      assertThatThrownBy(() -> pit.execute("sleep_sync", Map.of("ms", 30_000), CallOptions.defaults().withTimeout(Duration.ofMillis(300))))
          .isInstanceOf(CallTimeoutException.class);

      Waiting.require("the sync tool to notice its cancellation flag", Duration.ofSeconds(10),
          () -> counter(pit, "cancelled_calls") >= 1);
    }
  }

  @Test
  void cancellingAnAsyncCallCancelsItInPython() {
    // Two calls at once per worker, so adapter_info can watch the sleep from beside it.
    try (var pit = Snakepit.start(TestPools.config().workerConcurrency(2).build())) {
      var call = pit.executeAsync("sleep", Map.of("ms", 30_000));
      Waiting.require("the tool to be sleeping in Python", Duration.ofSeconds(10), () -> counter(pit, "sleeping") == 1);

      call.cancel(true);

      Waiting.require("Python to see the cancellation", Duration.ofSeconds(10), () -> counter(pit, "cancelled_calls") >= 1);
      assertThat(pit.stats().busy()).isZero();
    }
  }

  @Test
  void queueFullIsRejectedWithLiveCounts() {
    try (var pit = Snakepit.start(TestPools.config().queueCapacity(1).build())) {
      var running = pit.executeAsync("sleep", Map.of("ms", 30_000));
      Waiting.require("the first call to occupy the worker", Duration.ofSeconds(10), () -> pit.stats().busy() == 1);
      var queued = pit.executeAsync("add", Map.of("a", 1, "b", 1));
      Waiting.require("the second call to queue", Duration.ofSeconds(10), () -> pit.stats().queued() == 1);

      assertThatThrownBy(() -> pit.execute("add", Map.of("a", 1, "b", 1)))
          .isInstanceOfSatisfying(PoolSaturatedException.class, e -> {
            assertThat(e.reason()).isEqualTo(PoolSaturatedException.Reason.QUEUE_FULL);
            assertThat(e.workers()).isEqualTo(1);
            assertThat(e.busy()).isEqualTo(1);
            assertThat(e.queued()).isEqualTo(1);
            assertThat(e.getMessage()).contains("workers=1", "busy=1", "queued=1", "queueCapacity=1");
          });

      running.cancel(true);
      assertThat(queued.join().asLong()).isEqualTo(2);
    }
  }

  @Test
  void queuedCallTimesOutWithCounts() {
    try (var pit = Snakepit.start(TestPools.config().queueTimeout(Duration.ofMillis(200)).build())) {
      var running = pit.executeAsync("sleep", Map.of("ms", 30_000));
      Waiting.require("the first call to occupy the worker", Duration.ofSeconds(10), () -> pit.stats().busy() == 1);

      assertThatThrownBy(() -> pit.execute("add", Map.of("a", 1, "b", 1)))
          .isInstanceOfSatisfying(PoolSaturatedException.class, e -> {
            assertThat(e.reason()).isEqualTo(PoolSaturatedException.Reason.QUEUE_TIMEOUT);
            assertThat(e.busy()).isEqualTo(1);
          });
      running.cancel(true);
    }
  }

  @Test
  void queuedCallsRunInArrivalOrder(@TempDir Path dir) {
    var gate = new Gate(dir, "blocker");
    try (var pit = Snakepit.start(TestPools.gated().build())) {
      var blocker = pit.executeAsync("wait_gate", gate.arguments());
      Waiting.require("the worker to be busy", Duration.ofSeconds(10), () -> pit.stats().busy() == 1);
      var calls = new ArrayList<CompletableFuture<?>>();
      for (int i = 0; i < 5; i++) {
        int n = i;
        calls.add(pit.executeAsync("note_run", Map.of("n", n)));
        int queuedSoFar = i + 1;
        Waiting.require("call " + n + " to queue", Duration.ofSeconds(10), () -> pit.stats().queued() == queuedSoFar);
      }
      gate.open();
      blocker.join();
      calls.forEach(CompletableFuture::join);

      // The order the worker ran them in (completion callbacks run on separate threads: their order is not this).
      assertThat(pit.execute("runs", Map.of()).as(int[].class)).containsExactly(0, 1, 2, 3, 4);
    }
  }

  @Test
  void closeFailsQueuedCallsLetsRunningOnesFinishAndStopsEveryWorker(@TempDir Path dir) {
    var gate = new Gate(dir, "running");
    var pit = Snakepit.start(TestPools.gated().workers(2).build());
    var pids = pit.workerPids();
    var first = pit.executeAsync("wait_gate", gate.arguments());
    var second = pit.executeAsync("wait_gate", gate.arguments());
    Waiting.require("both workers to be busy", Duration.ofSeconds(10), () -> pit.stats().busy() == 2);
    var queued = pit.executeAsync("add", Map.of("a", 1, "b", 1));
    Waiting.require("a call to queue", Duration.ofSeconds(10), () -> pit.stats().queued() == 1);
    // The running calls end only once close() has failed the queued one and is waiting for them.
    queued.whenComplete((result, error) -> gate.open());

    pit.close();

    assertThat(first.join().as(Boolean.class)).isTrue();
    assertThat(second.join().as(Boolean.class)).isTrue();
    assertThatThrownBy(queued::join).isInstanceOf(CompletionException.class).hasCauseInstanceOf(PoolClosedException.class);
    assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse());
    assertThatThrownBy(() -> pit.execute("add", Map.of("a", 1, "b", 1))).isInstanceOf(PoolClosedException.class);
    pit.close();
  }

  @Test
  void workerKilledMidCallFailsTheCallAsCrashedAndIsReplaced() {
    try (var pit = Snakepit.start(TestPools.config().build())) {
      var call = pit.executeAsync("sleep", Map.of("ms", 30_000));
      Waiting.require("the call to be running", Duration.ofSeconds(10), () -> pit.stats().busy() == 1);
      long pid = pit.workerPids().getFirst();

      ProcessHandle.of(pid).orElseThrow().destroyForcibly();

      assertThatThrownBy(call::join).isInstanceOf(CompletionException.class)
          .cause().isInstanceOfSatisfying(WorkerCrashedException.class, e -> {
            assertThat(e.signal()).hasValue(9);
            assertThat(e.toolName()).contains("sleep");
            assertThat(e.getMessage()).contains("SIGKILL");
          });
      Waiting.require("a replacement worker", Duration.ofSeconds(20), () -> pit.stats().workers() == 1 && pit.stats().restarts() == 1);
      assertThat(pit.workerPids()).doesNotContain(pid);
      assertThat(pit.workerIds().getFirst()).endsWith("-g2");
      assertThat(pit.execute("add", Map.of("a", 2, "b", 3)).asLong()).isEqualTo(5);
      assertThat(pit.stats().crashes()).isEqualTo(1);
    }
  }

  @Test
  void workerStartedFromAScriptPathServesCalls() {
    var script = TestPools.testPython().resolve("foreign_grpc_server.py");
    try (var pit = Snakepit.start(TestPools.config().workerScript(script).build())) {
      assertThat(pit.execute("add", Map.of("a", 20, "b", 22)).asLong()).isEqualTo(42);
    }
  }

  @Test
  void workerEnvironmentAndPythonPathReachTheWorker() {
    try (var pit = Snakepit.start(TestPools.config().workerEnvironment("SNAKEPIT_TEST_FLAVOUR", "mint").build())) {
      var info = pit.execute("adapter_info").asMap();
      assertThat(info.get("pid")).isEqualTo(pit.workerPids().getFirst().intValue());
    }
  }

  @Test
  void adapterThatFailsToImportFailsStartWithItsTraceback() {
    assertThatThrownBy(() -> Snakepit.start(TestPools.config().adapter("snakepit_test_adapters.import_error.Nope").build()))
        .isInstanceOfSatisfying(StartupFailedException.class, e -> {
          assertThat(e.exitCode()).hasValue(3);
          assertThat(e.stderrTail()).contains("ModuleNotFoundError", "this_dependency_is_not_installed");
          assertThat(e.getMessage()).contains("could not be imported", "this_dependency_is_not_installed");
        });
  }

  @Test
  void adapterWhoseInitializeRaisesFailsStartWithItsTraceback() {
    assertThatThrownBy(() -> Snakepit.start(TestPools.config().adapter("snakepit_test_adapters.broken.FailingInitAdapter").build()))
        .isInstanceOfSatisfying(StartupFailedException.class, e -> {
          assertThat(e.exitCode()).hasValue(4);
          assertThat(e.getMessage()).contains("initialize()", "model weights not found");
        });
  }

  @Test
  void missingInterpreterFailsStartWithAHint() {
    assertThatThrownBy(() -> Snakepit.start(TestPools.config().python(Path.of("/nonexistent/python3")).build()))
        .isInstanceOfSatisfying(StartupFailedException.class,
            e -> assertThat(e.getMessage()).contains("/nonexistent/python3", "SNAKEPIT_PYTHON"));
  }

  @Test
  void workerThatNeverBecomesReadyFailsStartAtTheTimeout() {
    var config = TestPools.config()
        .workerScript(TestPools.testPython().resolve("never_ready.py"))
        .startupTimeout(Duration.ofMillis(1500))
        .build();
    assertThatThrownBy(() -> Snakepit.start(config))
        .isInstanceOfSatisfying(StartupFailedException.class, e -> {
          assertThat(e.exitCode()).isEmpty();
          assertThat(e.getMessage()).contains("start-up timeout of 1500 ms");
        });
  }
}
