package dev.snakepit.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Calls stay on a few hot workers while that keeps them fast; fake workers, a manual clock, no sleeps. */
class HotWorkersTest {
  private static final Duration BUDGET = Duration.ofSeconds(30);
  private static final Duration CALL = Duration.ofMillis(1).dividedBy(5);

  private final ManualClock clock = new ManualClock();
  private final List<PooledWorker> workers = List.of(Fakes.worker(0), Fakes.worker(1), Fakes.worker(2), Fakes.worker(3),
      Fakes.worker(4), Fakes.worker(5), Fakes.worker(6), Fakes.worker(7));

  private Dispatcher dispatcher(int queueCapacity, int hotWorkers) {
    var d = new Dispatcher(1, queueCapacity, Duration.ofSeconds(5), 2, hotWorkers, clock, clock, new Listeners(List.of()),
        new RecyclePolicy(0, null, 0, () -> 0.5));
    d.supervisedBy(new Dispatcher.Supervision() {
      @Override
      public void recycleDue(PooledWorker worker, String reason) {}

      @Override
      public void drained(PooledWorker worker) {}
    });
    d.startingMore(workers.size());
    d.addInitial(workers);
    return d;
  }

  private CompletableFuture<PooledWorker> acquire(Dispatcher d) {
    return d.acquire("echo", null, clock.read() + BUDGET.toNanos(), BUDGET);
  }

  private List<CompletableFuture<PooledWorker>> acquireAsManyAsWorkers(Dispatcher d) {
    var calls = new ArrayList<CompletableFuture<PooledWorker>>();
    for (int i = 0; i < workers.size(); i++) {
      calls.add(acquire(d));
    }
    return calls;
  }

  /**
   * Rounds of calls: each round starts as many calls as the dispatcher runs at once (none waits),
   * lets them take {@code length} given how many run, and ends them.
   */
  private void rounds(Dispatcher d, int count, java.util.function.IntFunction<Duration> length) {
    for (int round = 0; round < count; round++) {
      var running = new ArrayList<PooledWorker>();
      while (true) {
        var call = acquire(d);
        if (!call.isDone()) {
          call.cancel(false);
          break;
        }
        running.add(call.join());
      }
      clock.advance(length.apply(running.size()));
      running.forEach(d::release);
    }
  }

  private static long busy(List<PooledWorker> workers) {
    return workers.stream().filter(w -> w.inFlight > 0).count();
  }

  @Test
  void onceTheFloorIsBusyACallWaitsForAHotWorkerInsteadOfWakingAnIdleOne() {
    var d = dispatcher(10, 2);
    var first = acquire(d).join();
    var second = acquire(d).join();

    var third = acquire(d);

    assertThat(third).isNotDone();
    assertThat(d.counts().queued()).isEqualTo(1);
    clock.advance(CALL);
    d.release(second);
    assertThat(third).isCompletedWithValue(second);
    assertThat(workers).filteredOn(w -> w.inFlight > 0).containsExactlyInAnyOrder(first, second);
  }

  @Test
  void callsThatOnlyQueueForTheCoresKeepTheLimitLow() {
    var d = dispatcher(10, 2);
    // CPU-bound: n calls at once each take n times as long.
    rounds(d, 50, n -> CALL.multipliedBy(n));

    var calls = acquireAsManyAsWorkers(d);

    // Settles near floor + sqrt(limit) (about 4 here), far from all 8.
    assertThat(calls.stream().filter(CompletableFuture::isDone).count()).isBetween(2L, 5L);
  }

  @Test
  void callsThatMoreWorkersDoNotSlowDownGrowTheLimitToEveryWorker() {
    var d = dispatcher(10, 2);
    // Waiting on I/O: a call takes as long however many run.
    rounds(d, 50, n -> CALL);

    var calls = acquireAsManyAsWorkers(d);

    assertThat(calls).allMatch(CompletableFuture::isDone);
    assertThat(busy(workers)).isEqualTo(workers.size());
  }

  @Test
  void heldCallsTakeIdleWorkersWhenTheBusyOnesStopComingFree() {
    var d = dispatcher(10, 2);
    acquire(d).join();
    acquire(d).join();
    var held = acquire(d);
    var alsoHeld = acquire(d);
    assertThat(held).isNotDone();

    clock.advance(Duration.ofNanos(HotWorkers.STALL_NANOS));

    assertThat(held).isDone();
    assertThat(alsoHeld).isDone();
    assertThat(busy(workers)).isEqualTo(4);
  }

  @Test
  void aHeldCallFindingTheQueueFullTakesAnIdleWorkerRatherThanFailing() {
    var d = dispatcher(1, 2);
    acquire(d).join();
    acquire(d).join();
    var queued = acquire(d);
    assertThat(queued).isNotDone();

    var overflow = acquire(d);

    assertThat(overflow).isCompleted();
    assertThat(overflow.join().inFlight).isEqualTo(1);
  }

  @Test
  void aFloorOfZeroNeverHoldsBack() {
    var d = dispatcher(10, 0);
    rounds(d, 20, n -> CALL.multipliedBy(n));

    var calls = acquireAsManyAsWorkers(d);

    assertThat(calls).allMatch(CompletableFuture::isDone);
  }
}
