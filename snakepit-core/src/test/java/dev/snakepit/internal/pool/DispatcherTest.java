package dev.snakepit.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.Affinity;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.PoolSaturatedException;
import dev.snakepit.PoolUnavailableException;
import dev.snakepit.SessionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Dispatch against fake workers and a manual clock: no processes, no sleeps. */
class DispatcherTest {
  private static final Duration BUDGET = Duration.ofSeconds(30);

  private final ManualClock clock = new ManualClock();
  private final List<String> recycled = new ArrayList<>();
  private final List<PooledWorker> drained = new ArrayList<>();
  private final List<PoolEventListener.QueueFull> queueFull = new ArrayList<>();
  private final PooledWorker w1 = Fakes.worker(0);
  private final PooledWorker w2 = Fakes.worker(1);

  private Dispatcher dispatcher(int queueCapacity, long maxCalls, PooledWorker... workers) {
    var listener = new PoolEventListener() {
      @Override
      public void queueFull(QueueFull event) {
        queueFull.add(event);
      }
    };
    var d = new Dispatcher(1, queueCapacity, Duration.ofSeconds(5), 2, 0, clock, clock, new Listeners(List.of(listener)),
        new RecyclePolicy(maxCalls, null, 0, () -> 0.5));
    d.supervisedBy(new Dispatcher.Supervision() {
      @Override
      public void recycleDue(PooledWorker worker, String reason) {
        recycled.add(worker.id + ": " + reason);
      }

      @Override
      public void drained(PooledWorker worker) {
        drained.add(worker);
      }
    });
    d.startingMore(workers.length);
    d.addInitial(List.of(workers));
    return d;
  }

  private CompletableFuture<PooledWorker> acquire(Dispatcher d, String tool) {
    return d.acquire(tool, null, clock.read() + BUDGET.toNanos(), BUDGET);
  }

  private static Throwable failure(CompletableFuture<?> future) {
    assertThat(future).isCompletedExceptionally();
    try {
      future.join();
      throw new AssertionError("not failed");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  @Test
  void callsGoToTheLeastBusyWorker() {
    var d = dispatcher(10, 0, w1, w2);
    assertThat(acquire(d, "a").join()).isSameAs(w1);
    assertThat(acquire(d, "b").join()).isSameAs(w2);
    assertThat(d.counts().busy()).isEqualTo(2);
  }

  @Test
  void amongIdleWorkersTheOneReleasedLastIsPreferred() {
    var w3 = Fakes.worker(2);
    var d = dispatcher(10, 0, w1, w2, w3);
    var first = acquire(d, "a").join();
    var second = acquire(d, "b").join();
    var third = acquire(d, "c").join();
    d.release(third);
    d.release(first);
    d.release(second);
    assertThat(acquire(d, "hot").join()).isSameAs(second);
    assertThat(acquire(d, "next").join()).isSameAs(first);
  }

  @Test
  void callsQueueWhenEveryWorkerIsBusyAndRunInArrivalOrder() {
    var d = dispatcher(10, 0, w1);
    acquire(d, "first").join();
    var second = acquire(d, "second");
    var third = acquire(d, "third");
    assertThat(second).isNotDone();
    assertThat(d.counts().queued()).isEqualTo(2);
    d.release(w1);
    assertThat(second).isCompletedWithValue(w1);
    assertThat(third).isNotDone();
    d.release(w1);
    assertThat(third).isCompletedWithValue(w1);
    assertThat(d.counts().queued()).isZero();
  }

  @Test
  void aFullQueueRejectsWithLiveCountsAndTellsListenersAfterUnlocking() {
    var d = dispatcher(1, 0, w1);
    acquire(d, "running").join();
    acquire(d, "queued");
    var error = failure(acquire(d, "rejected"));
    assertThat(error).isInstanceOfSatisfying(PoolSaturatedException.class, e -> {
      assertThat(e.reason()).isEqualTo(PoolSaturatedException.Reason.QUEUE_FULL);
      assertThat(e.busy()).isEqualTo(1);
      assertThat(e.queued()).isEqualTo(1);
    });
    assertThat(error.getMessage()).contains("workers=1").contains("busy=1").contains("queued=1");
    assertThat(queueFull).singleElement().satisfies(event -> assertThat(event.queued()).isEqualTo(1));
  }

  @Test
  void aQueuedCallTimesOutAfterTheQueueTimeout() {
    var d = dispatcher(10, 0, w1);
    acquire(d, "running").join();
    var waiting = acquire(d, "waiting");
    clock.advance(Duration.ofMillis(4999));
    assertThat(waiting).isNotDone();
    clock.advance(Duration.ofMillis(1));
    assertThat(failure(waiting)).isInstanceOfSatisfying(PoolSaturatedException.class,
        e -> assertThat(e.reason()).isEqualTo(PoolSaturatedException.Reason.QUEUE_TIMEOUT));
    assertThat(d.counts().queued()).isZero();
  }

  @Test
  void aQueuedCallWhoseBudgetEndsFirstFailsAsATimeoutWhileQueued() {
    var d = dispatcher(10, 0, w1);
    acquire(d, "running").join();
    var waiting = d.acquire("short", null, clock.read() + Duration.ofSeconds(1).toNanos(), Duration.ofSeconds(1));
    clock.advance(Duration.ofSeconds(1));
    assertThat(failure(waiting)).isInstanceOfSatisfying(CallTimeoutException.class,
        e -> assertThat(e.phase()).isEqualTo(CallTimeoutException.Phase.QUEUED));
  }

  @Test
  void aHandedOffCallsTimerIsCancelled() {
    var d = dispatcher(10, 0, w1);
    acquire(d, "running").join();
    var waiting = acquire(d, "waiting");
    d.release(w1);
    clock.advance(Duration.ofMinutes(1));
    assertThat(waiting).isCompletedWithValue(w1);
    assertThat(clock.pending()).isZero();
  }

  @Test
  void anOpenBreakerFailsCallsFastWhenNoWorkerIsReady() {
    var d = dispatcher(10, 0);
    var queued = acquire(d, "queued");
    d.startFailed(new RuntimeException("boom 1"));
    assertThat(queued).isNotDone();
    var opened = d.startFailed(new RuntimeException("boom 2"));
    assertThat(opened).isNotNull();
    assertThat(opened.failedStarts()).isEqualTo(2);
    assertThat(failure(queued)).isInstanceOf(PoolUnavailableException.class);
    assertThat(failure(acquire(d, "later"))).isInstanceOf(PoolUnavailableException.class);
    assertThat(d.counts().breakerOpen()).isTrue();
  }

  @Test
  void aStartedWorkerClosesTheBreakerAndServesQueuedCalls() {
    var d = dispatcher(10, 0);
    var queued = acquire(d, "queued");
    d.startingMore(1);
    var admission = d.admit(w1, null);
    assertThat(admission.accepted()).isTrue();
    assertThat(queued).isCompletedWithValue(w1);
  }

  @Test
  void aWorkerReachingItsCallLimitIsReportedForRecyclingAfterUnlocking() {
    var d = dispatcher(10, 2, w1);
    d.release(acquire(d, "a").join());
    assertThat(recycled).isEmpty();
    d.release(acquire(d, "b").join());
    assertThat(recycled).containsExactly("w1: served 2 calls (maxCallsPerWorker 2)");
  }

  @Test
  void aRetiringWorkerIsStoppedWhenItsLastCallEnds() {
    var d = dispatcher(10, 0, w1);
    acquire(d, "a").join();
    d.startingMore(1);
    var admission = d.admit(w2, w1);
    assertThat(admission.stopReplacedNow()).isFalse();
    assertThat(w1.state).isEqualTo(PooledWorker.State.RETIRING);
    d.release(w1);
    assertThat(drained).containsExactly(w1);
  }

  @Test
  void queuedStrictCallsFailWhenTheirWorkerDies() {
    var d = dispatcher(10, 0, w1, w2);
    var route = new Route("s", Affinity.STRICT_QUEUE);
    d.acquire("first", route, clock.read() + BUDGET.toNanos(), BUDGET).join();
    var queued = d.acquire("second", route, clock.read() + BUDGET.toNanos(), BUDGET);
    assertThat(queued).isNotDone();
    assertThat(d.remove(w1)).as("an unexpected exit").isFalse();
    assertThat(failure(queued)).isInstanceOfSatisfying(SessionException.class,
        e -> assertThat(e.reason()).isEqualTo(SessionException.Reason.WORKER_LOST));
  }

  @Test
  void aSuspectWorkerGetsNoCallsUntilItSettlesIdle() {
    var d = dispatcher(10, 0, w1);
    assertThat(d.suspect(w1)).isTrue();
    var waiting = acquire(d, "waiting");
    assertThat(waiting).isNotDone();
    assertThat(d.settle(w1, new dev.snakepit.internal.transport.WorkerStatus(0, 1), null)).isTrue();
    assertThat(waiting).isNotDone();
    assertThat(d.settle(w1, new dev.snakepit.internal.transport.WorkerStatus(0, 0), null)).isFalse();
    assertThat(waiting).isCompletedWithValue(w1);
    assertThat(d.settle(w1, null, null)).as("no longer suspect").isNull();
  }

  @Test
  void closingFailsQueuedCallsAndRejectsNewOnes() {
    var d = dispatcher(10, 0, w1);
    acquire(d, "running").join();
    var queued = acquire(d, "queued");
    var closer = CompletableFuture.runAsync(() -> d.close(Duration.ofMinutes(1)));
    // close() waits for the running call: release it from here.
    while (!d.isClosing()) {
      Thread.onSpinWait();
    }
    d.release(w1);
    closer.join();
    assertThat(failure(queued)).isInstanceOf(PoolClosedException.class);
    assertThat(failure(acquire(d, "late"))).isInstanceOf(PoolClosedException.class);
    assertThat(d.close(Duration.ZERO)).as("idempotent").isFalse();
  }

  @Test
  void twoMissedHealthChecksInARowKillOnce() {
    var d = dispatcher(10, 0, w1);
    var error = new RuntimeException("silent");
    assertThat(d.healthChecked(w1, error)).isFalse();
    assertThat(d.healthChecked(w1, null)).isFalse();
    assertThat(d.healthChecked(w1, error)).isFalse();
    assertThat(d.healthChecked(w1, error)).isTrue();
    assertThat(d.healthChecked(w1, error)).isFalse();
  }

  @Test
  void sessionsSharingAFreeWorkerAgreeOnOneBinding() {
    var d = dispatcher(10, 0, w1, w2);
    var route = new Route("s", Affinity.STRICT_FAIL_FAST);
    d.acquire("a", route, clock.read() + BUDGET.toNanos(), BUDGET).join();
    assertThat(d.boundWorker("s")).isEqualTo("w1");
    var busy = d.acquire("b", route, clock.read() + BUDGET.toNanos(), BUDGET);
    assertThat(failure(busy)).isInstanceOfSatisfying(PoolSaturatedException.class,
        e -> assertThat(e.reason()).isEqualTo(PoolSaturatedException.Reason.SESSION_WORKER_BUSY));
    d.unbind("s");
    assertThat(d.boundWorker("s")).isNull();
  }

  @Test
  void aCancelledQueuedCallLeavesTheQueueAtOnceAndFreesItsPlace() {
    var d = dispatcher(1, 0, w1);
    acquire(d, "running").join();
    var abandoned = acquire(d, "abandoned");
    assertThat(d.counts().queued()).isEqualTo(1);
    abandoned.cancel(true);
    assertThat(d.counts().queued()).as("nobody waits for it").isZero();
    assertThat(clock.pending()).as("its queue timer is cancelled").isZero();
    var live = acquire(d, "live");
    assertThat(live).as("the freed place takes a live caller, not QUEUE_FULL").isNotDone();
    assertThat(queueFull).isEmpty();
    d.release(w1);
    assertThat(live).isCompletedWithValue(w1);
  }

  @Test
  void manyCancelledCallsNeverFillTheQueue() {
    var d = dispatcher(3, 0, w1);
    acquire(d, "running").join();
    for (int i = 0; i < 1000; i++) {
      acquire(d, "cancelled-" + i).cancel(true);
    }
    assertThat(d.counts().queued()).isZero();
    var live = List.of(acquire(d, "a"), acquire(d, "b"), acquire(d, "c"));
    assertThat(live).allSatisfy(f -> assertThat(f).isNotDone());
    assertThat(queueFull).isEmpty();
  }

  @Test
  void aCancellationRacingTheHandOffGivesTheWorkerToTheNextCaller() {
    var d = dispatcher(10, 0, w1);
    acquire(d, "running").join();
    var first = acquire(d, "first");
    var second = acquire(d, "second");
    first.cancel(true);
    d.release(w1);
    assertThat(second).isCompletedWithValue(w1);
    assertThat(d.counts().busy()).isEqualTo(1);
    assertThat(d.counts().queued()).isZero();
  }
}
