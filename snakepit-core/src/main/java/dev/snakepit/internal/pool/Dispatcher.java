package dev.snakepit.internal.pool;

import dev.snakepit.CallTimeoutException;
import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.PoolSaturatedException;
import dev.snakepit.PoolUnavailableException;
import dev.snakepit.SnakepitException;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.time.Scheduler;
import dev.snakepit.internal.time.Ticker;
import dev.snakepit.internal.transport.WorkerStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * Who runs which call: the live workers, the least-busy choice, session routing, the bounded wait
 * queue and the start-up breaker, under the pool's one lock. Counts are kept as calls come and go
 * (never recounted); completions of waiting calls and listener events run after unlocking. Worker
 * life-cycle decisions that follow a release (recycle by count, stop a drained worker) go to the
 * {@link Supervision} callbacks, also after unlocking.
 */
final class Dispatcher extends PoolState {
  /** What the dispatcher asks of the worker supervisor. */
  interface Supervision {
    /** The worker reached its call limit. */
    void recycleDue(PooledWorker worker, String reason);

    /** A retiring worker has no call left: stop it. */
    void drained(PooledWorker worker);
  }

  private final int workerConcurrency;
  private final Duration queueTimeout;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final Listeners listeners;
  private final RecyclePolicy recycling;
  private Supervision supervision;
  /** Releases so far (guarded by the lock): stamps each released worker, so dispatch can prefer hot ones. */
  private long releases;
  private final HotWorkers hot;


  /** {@code hotWorkers}: see {@link HotWorkers} (0: no limit; only with one call per worker). */
  Dispatcher(int workerConcurrency, int queueCapacity, Duration queueTimeout, int breakerThreshold, int hotWorkers,
      Ticker ticker, Scheduler scheduler, Listeners listeners, RecyclePolicy recycling) {
    super(new WaitQueue(queueCapacity), new SessionRouter(workerConcurrency), new StartupBreaker(breakerThreshold));
    this.hot = new HotWorkers(workerConcurrency == 1 ? hotWorkers : 0);
    this.workerConcurrency = workerConcurrency;
    this.queueTimeout = queueTimeout;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.listeners = listeners;
    this.recycling = recycling;
  }

  /** Connects the supervisor (once, while wiring). */
  void supervisedBy(Supervision supervision) {
    this.supervision = supervision;
  }

  // ---------------------------------------------------------------------------------------------
  // Acquire and release
  // ---------------------------------------------------------------------------------------------

  /**
   * A worker for a call: at once when one is free (the least busy, or the session's), else a place
   * in the queue until {@code deadlineNanos} or the queue timeout, whichever comes first.
   */
  CompletableFuture<PooledWorker> acquire(String toolName, Route route, long deadlineNanos, Duration budget) {
    PoolEventListener.QueueFull full = null;
    CompletableFuture<PooledWorker> outcome;
    lock.lock();
    try {
      outcome = acquireLocked(toolName, route, deadlineNanos, budget);
      if (outcome == null) {
        full = new PoolEventListener.QueueFull(toolName, queue.size(), queue.capacity());
        outcome = CompletableFuture.failedFuture(saturated(toolName, PoolSaturatedException.Reason.QUEUE_FULL, null));
      }
    } finally {
      lock.unlock();
    }
    if (full != null && listeners.active()) {
      var event = full;
      listeners.fire(l -> l.queueFull(event));
    }
    return outcome;
  }

  /** Null when the queue is full. */
  private CompletableFuture<PooledWorker> acquireLocked(String toolName, Route route, long deadlineNanos, Duration budget) {
    if (closing) {
      return CompletableFuture.failedFuture(new PoolClosedException(toolName, null));
    }
    PooledWorker worker = null;
    PooledWorker cold = null;
    if (route == null) {
      worker = leastBusy();
      if (worker != null && worker.inFlight == 0 && hot.holdBack(busy)) {
        cold = worker;
        worker = null;
      }
    } else {
      switch (router.choose(route, this::leastBusy)) {
        case SessionRouter.Run run -> worker = run.worker();
        case SessionRouter.Queue q -> worker = null;
        case SessionRouter.Lost lost -> {
          return CompletableFuture.failedFuture(SessionRouter.workerLost(route, toolName, lost.worker()));
        }
        case SessionRouter.BoundBusy bound -> {
          return CompletableFuture.failedFuture(saturated(toolName, PoolSaturatedException.Reason.SESSION_WORKER_BUSY,
              "session '" + route.sessionId() + "' is bound to " + bound.worker().id + ", which is running "
                  + bound.worker().inFlight + " call(s)"));
        }
      }
    }
    if (worker != null) {
      take(worker);
      return CompletableFuture.completedFuture(worker);
    }
    if (breaker.isOpen() && readyCount() == 0) {
      return CompletableFuture.failedFuture(unavailable(toolName));
    }
    var waiter = new Waiter(toolName, route);
    if (!queue.offer(waiter)) {
      if (cold != null) {
        take(cold);
        return CompletableFuture.completedFuture(cold);
      }
      return null;
    }
    if (cold != null && hot.claimStallCheck()) {
      scheduleStallCheck();
    }
    // A caller that gives up (cancel, interrupt, its own timeout) frees its place at once: otherwise it
    // would hold a slot nobody waits for until the queue timeout, and live callers would see QUEUE_FULL.
    waiter.future.whenComplete((handedOver, error) -> {
      if (error instanceof CancellationException) {
        withdraw(waiter);
      }
    });
    long budgetLeft = deadlineNanos - ticker.read();
    long queueWait = Math.min(budgetLeft, queueTimeout.toNanos());
    boolean budgetBound = budgetLeft <= queueTimeout.toNanos();
    waiter.timeout = scheduler.schedule(() -> expire(waiter, budgetBound, budget), Duration.ofNanos(Math.max(0, queueWait)));
    return waiter.future;
  }

  private void expire(Waiter waiter, boolean budgetBound, Duration budget) {
    SnakepitException error;
    lock.lock();
    try {
      if (!queue.remove(waiter)) {
        return;
      }
      error = budgetBound
          ? new CallTimeoutException(waiter.toolName, null, budget, CallTimeoutException.Phase.QUEUED,
              "Counts: workers=" + workers.size() + ", busy=" + busy + ", queued=" + queue.size() + ".")
          : saturated(waiter.toolName, PoolSaturatedException.Reason.QUEUE_TIMEOUT, "waited " + queueTimeout.toMillis() + " ms");
    } finally {
      lock.unlock();
    }
    waiter.future.completeExceptionally(error);
  }

  /** Takes a cancelled waiter out of the queue (no-op once it was handed a worker, expired or failed). */
  private void withdraw(Waiter waiter) {
    lock.lock();
    try {
      if (!queue.remove(waiter)) {
        return;
      }
    } finally {
      lock.unlock();
    }
    waiter.timeout.cancel();
  }

  /** Gives a call's worker back: its capacity goes to queued calls first. */
  void release(PooledWorker worker) {
    List<Runnable> handOffs;
    String recycle = null;
    boolean stop;
    lock.lock();
    try {
      worker.inFlight--;
      busy--;
      worker.completedCalls++;
      worker.lastReleased = ++releases;
      long now = ticker.read();
      hot.freed(now, worker.inFlight == 0 ? now - worker.takenNanos : -1, workers.size());
      if (worker.state == PooledWorker.State.READY && !worker.replacing) {
        recycle = recycling.dueByCalls(worker.completedCalls);
      }
      handOffs = worker.state == PooledWorker.State.READY ? handOff(worker) : List.of();
      stop = worker.state == PooledWorker.State.RETIRING && worker.inFlight == 0;
      if (busy == 0) {
        idle.signalAll();
      }
    } finally {
      lock.unlock();
    }
    handOffs.forEach(Runnable::run);
    if (recycle != null) {
      supervision.recycleDue(worker, recycle);
    }
    if (stop) {
      supervision.drained(worker);
    }
  }

  private void take(PooledWorker worker) {
    worker.inFlight++;
    busy++;
    worker.takenNanos = ticker.read();
  }

  private void scheduleStallCheck() {
    long due = ticker.read() + HotWorkers.STALL_NANOS;
    scheduler.schedule(() -> checkStall(due), Duration.ofNanos(HotWorkers.STALL_NANOS));
  }

  /** Calls held back for hot workers take idle ones when the busy workers stopped coming free. */
  private void checkStall(long due) {
    List<Runnable> handOffs = new ArrayList<>();
    boolean again;
    lock.lock();
    try {
      hot.stallChecked();
      long now = ticker.read();
      // A check that runs late saw the JVM paused (a collection), not workers stuck: look again.
      boolean paused = now - due > HotWorkers.STALL_NANOS / 2;
      if (!closing && !paused && hot.stalled(now)) {
        hot.widen(workers.size());
      }
      if (!closing) {
        for (var idle = leastBusy(); idle != null && idle.inFlight == 0 && queue.size() > 0 && !hot.holdBack(busy);
            idle = leastBusy()) {
          var given = handOff(idle);
          if (given.isEmpty()) {
            break;
          }
          handOffs.addAll(given);
        }
      }
      var idle = leastBusy();
      again = !closing && queue.size() > 0 && idle != null && idle.inFlight == 0 && hot.claimStallCheck();
    } finally {
      lock.unlock();
    }
    handOffs.forEach(Runnable::run);
    if (again) {
      scheduleStallCheck();
    }
  }

  /**
   * Gives the worker's free capacity to queued calls, first come first served among those that may
   * run on it; returns completions to run after unlocking.
   */
  private List<Runnable> handOff(PooledWorker worker) {
    List<Runnable> completions = new ArrayList<>();
    for (var it = queue.iterator(); it.hasNext() && worker.inFlight < workerConcurrency; ) {
      var waiter = it.next();
      if (waiter.future.isDone()) {
        it.remove();
        continue;
      }
      if (waiter.route != null && !router.mayTake(waiter.route, worker)) {
        continue;
      }
      it.remove();
      waiter.timeout.cancel();
      take(worker);
      completions.add(() -> {
        if (!waiter.future.complete(worker)) {
          release(worker);
        }
      });
    }
    return completions;
  }

  /**
   * The least busy worker; among equals the one released last. Like HikariCP's bag preferring hot
   * connections: with many more workers than calls in flight, a few warm processes carry the load.
   */
  PooledWorker leastBusy() {
    PooledWorker best = null;
    for (var worker : workers) {
      if (worker.state == PooledWorker.State.READY && worker.inFlight < workerConcurrency
          && (best == null || worker.inFlight < best.inFlight
              || (worker.inFlight == best.inFlight && worker.lastReleased > best.lastReleased))) {
        best = worker;
      }
    }
    return best;
  }

  // ---------------------------------------------------------------------------------------------
  // Workers coming and going (called by the supervisor)
  // ---------------------------------------------------------------------------------------------

  /** Counts workers being started (for stats and the closing check). */
  void startingMore(int count) {
    lock.lock();
    try {
      starting += count;
    } finally {
      lock.unlock();
    }
  }

  /** Adds the first workers of the pool. */
  void addInitial(List<PooledWorker> started) {
    lock.lock();
    try {
      starting -= started.size();
      workers.addAll(started);
    } finally {
      lock.unlock();
    }
  }

  /** How {@link #admit} went. */
  record Admission(boolean accepted, boolean breakerClosed, boolean stopReplacedNow) {}

  /**
   * Puts a freshly started worker into service (closing the breaker: a start succeeded); when it
   * replaces {@code old}, that one retires. Not accepted when the pool is closing.
   */
  Admission admit(PooledWorker fresh, PooledWorker old) {
    List<Runnable> handOffs = new ArrayList<>();
    boolean stopOldNow = false;
    boolean breakerClosed;
    boolean accepted;
    lock.lock();
    try {
      starting--;
      breakerClosed = breaker.succeeded() == StartupBreaker.Transition.CLOSED;
      accepted = !closing;
      if (accepted) {
        workers.add(fresh);
        if (old != null) {
          if (old.state != PooledWorker.State.DEAD) {
            old.state = PooledWorker.State.RETIRING;
          }
          stopOldNow = old.state == PooledWorker.State.RETIRING && old.inFlight == 0;
          handOffs.addAll(failStrictWaitersOf(old));
        }
        handOffs.addAll(handOff(fresh));
      }
    } finally {
      lock.unlock();
    }
    handOffs.forEach(Runnable::run);
    return new Admission(accepted, breakerClosed, stopOldNow);
  }

  /** Takes a worker whose process exited out of service; returns whether it was expected to go. */
  boolean remove(PooledWorker worker) {
    boolean expected;
    List<Runnable> lost;
    lock.lock();
    try {
      // A worker being recycled already has its replacement; one retiring or closing needs none.
      expected = worker.state == PooledWorker.State.RETIRING || worker.replacing || closing;
      worker.state = PooledWorker.State.DEAD;
      workers.remove(worker);
      lost = failStrictWaitersOf(worker);
      if (!expected) {
        starting++;
      }
    } finally {
      lock.unlock();
    }
    lost.forEach(Runnable::run);
    return expected;
  }

  /**
   * Counts a failed start; enough in a row open the breaker, failing queued calls no worker can
   * serve. Returns the breaker-opened event (fired by the caller), or null.
   */
  PoolEventListener.BreakerOpened startFailed(RuntimeException failure) {
    List<Waiter> failed = List.of();
    PoolEventListener.BreakerOpened opened = null;
    int failures;
    StartupFailedException last;
    lock.lock();
    try {
      if (breaker.failed(failure) == StartupBreaker.Transition.OPENED) {
        opened = new PoolEventListener.BreakerOpened(breaker.consecutiveFailures(), breaker.lastFailure().getMessage());
      }
      if (breaker.isOpen() && readyCount() == 0) {
        failed = queue.drain();
      }
      failures = breaker.consecutiveFailures();
      last = breaker.lastFailure();
    } finally {
      lock.unlock();
    }
    for (var waiter : failed) {
      waiter.timeout.cancel();
      waiter.future.completeExceptionally(new PoolUnavailableException(waiter.toolName, failures, last));
    }
    return opened;
  }

  /** Marks a worker for replacement; false when it is already going (or the pool is closing). */
  boolean beginReplacing(PooledWorker worker) {
    lock.lock();
    try {
      if (closing || worker.replacing || worker.state == PooledWorker.State.DEAD
          || worker.state == PooledWorker.State.RETIRING) {
        return false;
      }
      worker.replacing = true;
      starting++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** What a failed replacement leaves behind. */
  enum AfterFailedReplacement { NOTHING, RESTART_SLOT, KILL_STUCK }

  /** A replacement could not start: the old worker stays, unless it died (restart) or is stuck (kill). */
  AfterFailedReplacement replacementFailed(PooledWorker old) {
    lock.lock();
    try {
      starting--;
      old.replacing = false;
      if (closing) {
        return AfterFailedReplacement.NOTHING;
      }
      if (old.state == PooledWorker.State.DEAD) {
        starting++;
        return AfterFailedReplacement.RESTART_SLOT;
      }
      return old.state == PooledWorker.State.SUSPECT ? AfterFailedReplacement.KILL_STUCK : AfterFailedReplacement.NOTHING;
    } finally {
      lock.unlock();
    }
  }

  /** A start that will not happen after all (the pool is closing). */
  void startAbandoned() {
    startingMore(-1);
  }

  /** Takes a worker out of rotation until it proves idle; false when it is not serving. */
  boolean suspect(PooledWorker worker) {
    lock.lock();
    try {
      if (closing || worker.state != PooledWorker.State.READY) {
        return false;
      }
      worker.state = PooledWorker.State.SUSPECT;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** See {@link StuckCallMonitor.Target#settle}. */
  Boolean settle(PooledWorker worker, WorkerStatus status, Throwable error) {
    List<Runnable> handOffs = List.of();
    boolean busyWorker;
    lock.lock();
    try {
      if (worker.state != PooledWorker.State.SUSPECT) {
        return null;
      }
      busyWorker = StuckCallMonitor.busy(status, error, worker.inFlight);
      if (!busyWorker) {
        worker.state = PooledWorker.State.READY;
        handOffs = handOff(worker);
      }
    } finally {
      lock.unlock();
    }
    handOffs.forEach(Runnable::run);
    return busyWorker;
  }
}
