package dev.snakepit.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.CallOptions;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.PythonException;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartupFailedException;
import dev.snakepit.TransportException;
import dev.snakepit.WorkerCrashedException;
import dev.snakepit.internal.host.SessionStore;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.process.WorkerHandle;
import dev.snakepit.internal.telemetry.CallInstrumentation;
import dev.snakepit.internal.tools.HostToolRegistry;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.internal.transport.WorkerStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The whole pool (supervision, house keeping, stuck calls, errors, close) against fake workers,
 * a manual clock and a direct executor: no processes, no sleeps.
 */
class WorkerPoolTest {
  private final ManualClock clock = new ManualClock();
  private final List<Started> started = new CopyOnWriteArrayList<>();
  private final AtomicInteger failNextStarts = new AtomicInteger();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final List<String> recycledStacks = new CopyOnWriteArrayList<>();
  private WorkerPool pool;

  private record Started(String id, Fakes.Process process, Fakes.Transport transport) {}

  private final WorkerStarter starter = new WorkerStarter() {
    @Override
    public Started start(String workerId, Guard guard) {
      var process = new Fakes.Process(1000 + started.size());
      if (!guard.spawned(process)) {
        throw new dev.snakepit.PoolClosedException(null, "closing");
      }
      guard.settled(process);
      if (failNextStarts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new StartupFailedException(workerId, "adapter import failed", 3, "Traceback: boom", null);
      }
      var transport = new Fakes.Transport();
      transport.result = "4";
      WorkerPoolTest.this.started.add(new WorkerPoolTest.Started(workerId, process, transport));
      return new WorkerStarter.Started(process, transport);
    }

    @Override
    public void forget(String workerId) {}
  };

  private final PoolEventListener listener = new PoolEventListener() {
    @Override
    public void breakerOpened(BreakerOpened event) {
      events.add("breakerOpened");
    }

    @Override
    public void breakerClosed(BreakerClosed event) {
      events.add("breakerClosed");
    }

    @Override
    public void workerRecycled(WorkerRecycled event) {
      recycledStacks.add(String.valueOf(event.pythonStacks()));
      events.add("recycled " + event.workerId() + ": " + event.reason());
    }

    @Override
    public void workerCrashed(WorkerCrashed event) {
      events.add("crashed " + event.workerId());
    }
  };

  private WorkerPool start(UnaryOperator<SnakepitConfig.Builder> settings) {
    var config = settings.apply(SnakepitConfig.builder().poolName("unit").workers(2).eventListener(listener)
        .restartBackoff(Duration.ofMillis(100), Duration.ofSeconds(2)).breakerThreshold(2)
        .healthCheck(Duration.ofSeconds(10), Duration.ofSeconds(1)).shutdownGrace(Duration.ZERO)).build();
    var parts = new WorkerPool.Parts(config, clock, clock, Runnable::run, () -> 0.5, starter,
        new SessionStore(config.maxSessions(), clock), new ToolCatalog(), new HostToolRegistry(List.of(), config.callTimeout()),
        new CallInstrumentation(List.of(), List.of()), false, List.of(), () -> 0);
    pool = WorkerPool.start(parts);
    return pool;
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  private Fakes.Transport transportOf(int index) {
    return started.get(index).transport();
  }

  @Test
  void startsEveryWorkerAndRunsCallsOnThem() {
    start(b -> b);
    assertThat(pool.workerIds()).containsExactly("unit-w1-g1", "unit-w2-g1");
    assertThat(pool.executeSync("add", Map.of("a", 2, "b", 2), CallOptions.defaults()).asLong()).isEqualTo(4);
    assertThat(pool.stats().completedCalls()).isEqualTo(1);
  }

  @Test
  void aFailedFirstStartFailsTheStartAndStopsTheOthers() {
    failNextStarts.set(1);
    assertThatThrownBy(() -> start(b -> b)).isInstanceOf(StartupFailedException.class).hasMessageContaining("adapter import failed");
    pool = null;
    assertThat(started).allSatisfy(s -> assertThat(s.process().exit).isDone());
  }

  @Test
  void aCrashedWorkerIsReplacedWithGrowingBackOffAndTheBreakerOpensAndCloses() {
    start(b -> b);
    failNextStarts.set(2);
    started.getFirst().process().exit.complete(139);
    assertThat(events).contains("crashed unit-w1-g1");
    clock.advance(Duration.ZERO);
    assertThat(pool.stats().workers()).isEqualTo(1);
    clock.advance(Duration.ofMillis(99));
    assertThat(events).doesNotContain("breakerOpened");
    clock.advance(Duration.ofMillis(1));
    assertThat(events).contains("breakerOpened");
    assertThat(pool.stats().breakerOpen()).isTrue();
    clock.advance(Duration.ofMillis(199));
    assertThat(pool.workerIds()).containsExactly("unit-w2-g1");
    clock.advance(Duration.ofMillis(1));
    assertThat(pool.workerIds()).containsExactly("unit-w1-g4", "unit-w2-g1");
    assertThat(events).endsWith("breakerClosed");
    assertThat(pool.stats().restarts()).isEqualTo(1);
    assertThat(pool.stats().crashes()).isEqualTo(1);
  }

  @Test
  void workersAreRecycledByCallCount() {
    start(b -> b.workers(1).maxCallsPerWorker(2));
    pool.executeSync("a", Map.of(), CallOptions.defaults());
    pool.executeSync("b", Map.of(), CallOptions.defaults());
    assertThat(events).contains("recycled unit-w1-g1: served 2 calls (maxCallsPerWorker 2)");
    assertThat(pool.workerIds()).containsExactly("unit-w1-g2");
    assertThat(started.getFirst().process().exit).as("the old worker stopped").isDone();
  }

  @Test
  void workersAreRecycledByAgeWithJitterOnTheHouseKeepersRound() {
    start(b -> b.workers(1).maxWorkerAge(Duration.ofMinutes(10)));
    // random 0.5: the age limit is 10 min + 5% = 10.5 min; the house keeper runs every 10 s.
    clock.advance(Duration.ofSeconds(620));
    assertThat(pool.workerIds()).containsExactly("unit-w1-g1");
    clock.advance(Duration.ofSeconds(10));
    assertThat(pool.workerIds()).containsExactly("unit-w1-g2");
    assertThat(events).anyMatch(e -> e.contains("reached maxWorkerAge PT10M"));
  }

  @Test
  void workersAreRecycledByMemory() {
    start(b -> b.workers(1).maxWorkerMemory(100L * 1024 * 1024));
    started.getFirst().process().rss = 200L * 1024 * 1024;
    clock.advance(Duration.ofSeconds(10));
    assertThat(events).anyMatch(e -> e.contains("resident memory 200 MiB is over maxWorkerMemory 100 MiB"));
    assertThat(pool.stats().recycles()).isEqualTo(1);
  }

  @Test
  void aWorkerMissingTwoHealthChecksIsKilledAndReplaced() {
    start(b -> b.workers(1));
    transportOf(0).pingFailure = new TransportFailure(TransportFailure.Kind.CONNECTION_LOST, "UNAVAILABLE", "", null);
    clock.advance(Duration.ofSeconds(10));
    assertThat(started.getFirst().process().killed).isFalse();
    clock.advance(Duration.ofSeconds(10));
    assertThat(started.getFirst().process().killed).isTrue();
    clock.advance(Duration.ZERO);
    assertThat(pool.workerIds()).containsExactly("unit-w1-g2");
    assertThat(pool.stats().unhealthyKills()).isEqualTo(1);
  }

  @Test
  void aWorkerStillBusyAfterACancelledCallIsRecycledAfterTheGrace() {
    start(b -> b.workers(1).stuckCallGrace(Duration.ofSeconds(2)));
    var transport = transportOf(0);
    transport.result = null;
    var call = pool.execute("slow", Map.of(), CallOptions.defaults());
    call.cancel(true);
    transport.status = new WorkerStatus(0, 1);
    clock.advance(Duration.ofMillis(1900));
    assertThat(pool.workerIds()).containsExactly("unit-w1-g1");
    assertThat(pool.stats().workers()).as("suspect: no calls").isZero();
    clock.advance(Duration.ofMillis(200));
    assertThat(events).anyMatch(e -> e.startsWith("recycled unit-w1-g1: still busy 2000 ms after a cancelled call"));
    assertThat(pool.workerIds()).containsExactly("unit-w1-g2");
  }

  @Test
  void aWorkerThatShowsItIsIdleAfterACancelledCallServesAgain() {
    start(b -> b.workers(1));
    var transport = transportOf(0);
    transport.result = null;
    pool.execute("slow", Map.of(), CallOptions.defaults()).cancel(true);
    assertThat(pool.stats().workers()).isZero();
    clock.advance(Duration.ofMillis(20));
    assertThat(pool.stats().workers()).isEqualTo(1);
  }

  @Test
  void transportFailuresBecomeTypedErrors() {
    start(b -> b.workers(1));
    var transport = transportOf(0);
    transport.result = null;
    var unauthenticated = pool.execute("t", Map.of(), CallOptions.defaults());
    transport.calls.getLast().completeExceptionally(
        new TransportFailure(TransportFailure.Kind.UNAUTHENTICATED, "UNAUTHENTICATED", "bad token", null));
    assertThatThrownBy(unauthenticated::join).cause().isInstanceOfSatisfying(TransportException.class, e -> {
      assertThat(e.status()).isEqualTo("UNAUTHENTICATED");
      assertThat(e.getMessage()).contains("rejected the pool's token");
    });
    var late = pool.execute("t", Map.of(), CallOptions.defaults());
    transport.calls.getLast().completeExceptionally(
        new TransportFailure(TransportFailure.Kind.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "", null));
    assertThatThrownBy(late::join).cause().isInstanceOf(CallTimeoutException.class);
  }

  @Test
  void aToolsErrorDocumentBecomesAPythonException() {
    start(b -> b.workers(1));
    var transport = transportOf(0);
    transport.result = null;
    var call = pool.execute("t", Map.of(), CallOptions.defaults());
    transport.calls.getLast().complete(new ToolResponse(false, null, null,
        "{\"type\":\"ValueError\",\"message\":\"bad\",\"traceback\":\"tb\",\"context\":{}}", Map.of(), 1));
    assertThatThrownBy(call::join).cause().isInstanceOfSatisfying(PythonException.class,
        e -> assertThat(e.pythonType()).isEqualTo("ValueError"));
  }

  @Test
  void anIdempotentCallIsRetriedOnceWhenItsWorkerCrashes() {
    start(b -> b);
    var first = transportOf(0);
    first.result = null;
    var call = pool.execute("t", Map.of(), CallOptions.defaults().withIdempotent(true));
    started.getFirst().process().exit.complete(137);
    first.calls.getLast().completeExceptionally(
        new TransportFailure(TransportFailure.Kind.CONNECTION_LOST, "UNAVAILABLE", "", null));
    assertThat(call.join().asLong()).isEqualTo(4);
  }

  @Test
  void aCallOnACrashedWorkerFailsAsACrashWithTheExitCode() {
    start(b -> b.workers(1));
    var transport = transportOf(0);
    transport.result = null;
    var call = pool.execute("t", Map.of(), CallOptions.defaults());
    started.getFirst().process().exit.complete(139);
    transport.calls.getLast().completeExceptionally(
        new TransportFailure(TransportFailure.Kind.CONNECTION_LOST, "UNAVAILABLE", "", null));
    assertThatThrownBy(call::join).cause().isInstanceOfSatisfying(WorkerCrashedException.class,
        e -> assertThat(e.signal()).hasValue(11));
  }

  @Test
  void closingFailsQueuedCallsAndStopsEveryWorker() {
    start(b -> b.workers(1).queueCapacity(5));
    var transport = transportOf(0);
    transport.result = null;
    pool.execute("running", Map.of(), CallOptions.defaults());
    var queued = pool.execute("queued", Map.of(), CallOptions.defaults());
    pool.close();
    assertThatThrownBy(queued::join).isInstanceOf(CompletionException.class).cause().isInstanceOf(PoolClosedException.class);
    assertThat(started).allSatisfy(s -> assertThat(s.process().exit).isDone());
    assertThatThrownBy(() -> pool.executeSync("late", Map.of(), CallOptions.defaults())).isInstanceOf(PoolClosedException.class);
    pool.close();
  }

  @Test
  void aCancelledQueuedCallNoLongerCountsAsQueuedNorHoldsAPlace() {
    start(b -> b.workers(1).queueCapacity(1));
    var transport = transportOf(0);
    transport.result = null;
    pool.execute("running", Map.of(), CallOptions.defaults());
    pool.execute("given-up", Map.of(), CallOptions.defaults()).cancel(true);
    assertThat(pool.stats().queued()).isZero();
    var live = pool.execute("live", Map.of(), CallOptions.defaults());
    assertThat(live).isNotDone();
    transport.result = "4";
    transport.calls.getFirst().complete(Fakes.ok("1"));
    assertThat(live.join().asLong()).isEqualTo(4);
  }

  @Test
  void noSessionOpensOnAClosedPool() {
    start(b -> b.workers(1));
    pool.close();
    assertThatThrownBy(() -> pool.openSession("late", Map.of())).isInstanceOfSatisfying(PoolClosedException.class,
        e -> assertThat(e.getMessage()).contains("closed").contains("'late'"));
    assertThat(pool.stats().sessions()).isZero();
    assertThatThrownBy(() -> pool.executeSync("add", Map.of(), CallOptions.defaults().withSessionId("late")))
        .isInstanceOfSatisfying(PoolClosedException.class, e -> assertThat(e.getMessage()).contains("'add'"));
  }

  @Test
  void anAsyncCallAfterCloseFailsItsFutureEvenThoughTheCallbackExecutorIsShutDown() {
    // Like the real callback executor: it refuses work once the pool released its resources.
    var shutDown = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.Executor callbacks = task -> {
      if (shutDown.get()) {
        throw new java.util.concurrent.RejectedExecutionException("shut down");
      }
      task.run();
    };
    var config = SnakepitConfig.builder().poolName("unit").workers(1).shutdownGrace(Duration.ZERO).build();
    pool = WorkerPool.start(new WorkerPool.Parts(config, clock, clock, callbacks, () -> 0.5, starter,
        new SessionStore(config.maxSessions(), clock), new ToolCatalog(), new HostToolRegistry(List.of(), config.callTimeout()),
        new CallInstrumentation(List.of(), List.of()), false, List.of(() -> shutDown.set(true)), () -> 0));
    pool.close();
    var late = pool.executeAsync("add", Map.of(), CallOptions.defaults());
    assertThat(late).isCompletedExceptionally();
    assertThatThrownBy(late::join).cause().isInstanceOf(PoolClosedException.class).hasMessageContaining("'add'");
  }

  @Test
  void aStuckWorkerIsAskedForItsPythonStacksBeforeItIsRecycled() {
    start(b -> b.workers(1).stuckCallGrace(Duration.ofSeconds(1)));
    var transport = transportOf(0);
    var process = started.getFirst().process();
    process.stacks = "Thread 0x1 (most recent call first):\n  File \"t.py\", line 3 in stuck";
    transport.result = null;
    pool.execute("stuck", Map.of(), CallOptions.defaults()).cancel(true);
    transport.status = new WorkerStatus(0, 1);
    clock.advance(Duration.ofMillis(900));
    assertThat(process.stackDumps).as("not stuck yet").isZero();
    clock.advance(Duration.ofMillis(200));
    assertThat(process.stackDumps).isEqualTo(1);
    assertThat(recycledStacks).containsExactly(process.stacks);
    assertThat(pool.workerIds()).containsExactly("unit-w1-g2");
  }

  @Test
  void aStuckWorkerThatGivesNoDumpIsRecycledAllTheSame() {
    start(b -> b.workers(1).stuckCallGrace(Duration.ofSeconds(1)));
    var transport = transportOf(0);
    transport.result = null;
    pool.execute("stuck", Map.of(), CallOptions.defaults()).cancel(true);
    transport.status = new WorkerStatus(0, 1);
    clock.advance(Duration.ofMillis(1100));
    assertThat(started.getFirst().process().stackDumps).isEqualTo(1);
    assertThat(recycledStacks).containsExactly("null");
    assertThat(pool.workerIds()).containsExactly("unit-w1-g2");
  }

  @Test
  void aCallOnAWorkerTheOomKillerEndedSaysSoAndWhatToDo() {
    start(b -> b.workers(1));
    var transport = transportOf(0);
    transport.result = null;
    var call = pool.execute("hog", Map.of(), CallOptions.defaults());
    var process = started.getFirst().process();
    process.oomKillEvidence = "the kernel's OOM killer: the oom_kill count of its memory cgroup (/cg/memory.oom_control) went from 0 to 1 while it ran";
    process.exit.complete(137);
    transport.calls.getLast().completeExceptionally(
        new TransportFailure(TransportFailure.Kind.CONNECTION_LOST, "UNAVAILABLE", "", null));
    assertThatThrownBy(call::join).cause().isInstanceOfSatisfying(WorkerCrashedException.class, e -> {
      assertThat(e.killedByOomKiller()).isTrue();
      assertThat(e.signal()).hasValue(9);
      assertThat(e.getMessage()).contains("killed by signal 9 (SIGKILL), by the kernel's OOM killer")
          .contains("went from 0 to 1").contains("maxWorkerMemory");
    });
  }

  @Test
  void aPlainSigkillIsNotCalledAnOomKill() {
    start(b -> b.workers(1));
    var transport = transportOf(0);
    transport.result = null;
    var call = pool.execute("t", Map.of(), CallOptions.defaults());
    started.getFirst().process().exit.complete(137);
    transport.calls.getLast().completeExceptionally(
        new TransportFailure(TransportFailure.Kind.CONNECTION_LOST, "UNAVAILABLE", "", null));
    assertThatThrownBy(call::join).cause().isInstanceOfSatisfying(WorkerCrashedException.class, e -> {
      assertThat(e.killedByOomKiller()).isFalse();
      assertThat(e.getMessage()).doesNotContain("OOM");
    });
  }
}
