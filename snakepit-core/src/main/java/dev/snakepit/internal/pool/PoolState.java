package dev.snakepit.internal.pool;

import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolSaturatedException;
import dev.snakepit.PoolUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pool's shared state and its one lock: the live workers, the wait queue, the session
 * bindings, the breaker and the counts, with the read-only views and the close. {@link Dispatcher}
 * adds the hot path and the state changes on top of it.
 */
abstract class PoolState {
  // ---- guarded by lock ----
  final ReentrantLock lock = new ReentrantLock();
  final Condition idle = lock.newCondition();
  final List<PooledWorker> workers = new ArrayList<>();
  final WaitQueue queue;
  final SessionRouter router;
  final StartupBreaker breaker;
  /** Calls running on workers: counted as they come and go, never recounted. */
  int busy;
  int starting;
  boolean closing;

  PoolState(WaitQueue queue, SessionRouter router, StartupBreaker breaker) {
    this.queue = queue;
    this.router = router;
    this.breaker = breaker;
  }

  /** Forgets a session's worker binding. */
  void unbind(String sessionId) {
    lock.lock();
    try {
      router.unbind(sessionId);
    } finally {
      lock.unlock();
    }
  }

  /** The id of the worker a session is bound to, or null. */
  String boundWorker(String sessionId) {
    lock.lock();
    try {
      var worker = router.boundWorker(sessionId);
      return worker == null ? null : worker.id;
    } finally {
      lock.unlock();
    }
  }

  /** A snapshot of the live workers. */
  List<PooledWorker> workers() {
    lock.lock();
    try {
      return List.copyOf(workers);
    } finally {
      lock.unlock();
    }
  }

  /** The workers serving calls now. */
  List<PooledWorker> readyWorkers() {
    lock.lock();
    try {
      return workers.stream().filter(w -> w.state == PooledWorker.State.READY).toList();
    } finally {
      lock.unlock();
    }
  }

  /** The counts {@link dev.snakepit.PoolStats} reports. */
  record Counts(int ready, int starting, int retiring, int busy, int queued, boolean breakerOpen) {}

  Counts counts() {
    lock.lock();
    try {
      int ready = readyCount();
      return new Counts(ready, starting, workers.size() - ready, busy, queue.size(), breaker.isOpen());
    } finally {
      lock.unlock();
    }
  }

  boolean isClosing() {
    lock.lock();
    try {
      return closing;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops admitting: fails queued calls with {@link PoolClosedException} and waits up to
   * {@code grace} for running calls to finish. Returns false when it was already closing.
   */
  boolean close(Duration grace) {
    List<Waiter> abandoned;
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      closing = true;
      abandoned = queue.drain();
    } finally {
      lock.unlock();
    }
    // Queued callers learn at once; they are not held for the running calls' grace.
    abandoned.forEach(w -> {
      w.timeout.cancel();
      w.future.completeExceptionally(new PoolClosedException(w.toolName, "closed while the call was queued"));
    });
    lock.lock();
    try {
      long waitNanos = grace.toNanos();
      while (busy > 0 && waitNanos > 0) {
        try {
          waitNanos = idle.awaitNanos(waitNanos);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    } finally {
      lock.unlock();
    }
    return true;
  }

  /** Marks the pool closing without waiting (start failed, JVM exit). */
  void markClosing() {
    lock.lock();
    try {
      closing = true;
    } finally {
      lock.unlock();
    }
  }

  int readyCount() {
    int ready = 0;
    for (var worker : workers) {
      if (worker.state == PooledWorker.State.READY) {
        ready++;
      }
    }
    return ready;
  }

  PoolSaturatedException saturated(String toolName, PoolSaturatedException.Reason reason, String detail) {
    return new PoolSaturatedException(toolName, reason, workers.size(), busy, queue.size(), queue.capacity(), detail);
  }

  PoolUnavailableException unavailable(String toolName) {
    return new PoolUnavailableException(toolName, breaker.consecutiveFailures(), breaker.lastFailure());
  }

  /** Marks a worker as retiring (it finishes its calls, takes no new ones). */
  void retiring(PooledWorker worker) {
    lock.lock();
    try {
      if (worker.state != PooledWorker.State.DEAD) {
        worker.state = PooledWorker.State.RETIRING;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Counts a missed health ping; returns true when the worker should now be killed (two in a row). */
  boolean healthChecked(PooledWorker worker, Throwable error) {
    lock.lock();
    try {
      if (error == null) {
        worker.missedPings = 0;
        return false;
      }
      if (worker.state == PooledWorker.State.DEAD || closing) {
        return false;
      }
      worker.missedPings++;
      if (worker.missedPings >= 2 && !worker.killedAsUnhealthy) {
        worker.killedAsUnhealthy = true;
        return true;
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Fails queued strict calls of sessions bound to a worker that is gone; called with the lock held. */
  List<Runnable> failStrictWaitersOf(PooledWorker gone) {
    var failures = new ArrayList<Runnable>();
    for (var it = queue.iterator(); it.hasNext(); ) {
      var waiter = it.next();
      if (waiter.route == null || !waiter.route.strict() || !router.isBoundTo(waiter.route.sessionId(), gone)) {
        continue;
      }
      it.remove();
      waiter.timeout.cancel();
      var error = SessionRouter.workerLost(waiter.route, waiter.toolName, gone);
      failures.add(() -> waiter.future.completeExceptionally(error));
    }
    return failures;
  }
}
