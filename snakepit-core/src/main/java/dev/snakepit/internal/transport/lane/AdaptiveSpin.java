package dev.snakepit.internal.transport.lane;

import java.io.IOException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Polls for a worker's answer for a bounded, adaptive time before the waiting thread blocks.
 *
 * <p>Why: a thread that blocks gives its CPU back, and an idle CPU of a virtual machine halts; waking
 * it again is an interrupt through the hypervisor that costs tens of microseconds, more than a small
 * call itself (on the benchmark machine a 32-byte echo took ~75 us blocking and ~20 us polling).
 * Polling the socket keeps the CPU running, so an answer that comes quickly is read at once.
 *
 * <p>Bounded: at most the budget per wait, and only as many threads at once, JVM-wide, as leave one
 * core free (so never on one core). Adaptive: each lane keeps an estimate of how long its answers
 * take; a lane whose answers outlast the budget stops polling, backing off exponentially (up to 64
 * waits), and tries again now and then. Only the thread holding a lane's read role uses its instance.
 */
final class AdaptiveSpin {
  /** Reads what has arrived without blocking: bytes read, 0 if nothing, -1 at end of stream. */
  interface Poll {
    int attempt() throws IOException;
  }

  private static final int MAX_SPINNERS = Runtime.getRuntime().availableProcessors() - 1;
  private static final AtomicInteger SPINNERS = new AtomicInteger();
  private static final long MAX_BACKOFF = 64;

  private final long budgetNanos;
  /** Recent waits of this lane (moving average), or above the budget while backing off. */
  private long estimateNanos;

  AdaptiveSpin(long budgetNanos) {
    this.budgetNanos = budgetNanos;
  }

  /**
   * Polls until something arrives, the budget is spent or {@code until} is done; returns what the
   * last attempt returned (0 if nothing arrived: the caller blocks as before).
   */
  int await(Poll poll, Future<?> until) throws IOException {
    if (budgetNanos <= 0) {
      return 0;
    }
    if (estimateNanos > budgetNanos) {
      estimateNanos -= estimateNanos >> 3;
      return 0;
    }
    if (SPINNERS.incrementAndGet() > MAX_SPINNERS) {
      SPINNERS.decrementAndGet();
      return 0;
    }
    try {
      long start = System.nanoTime();
      long waited;
      int n;
      do {
        Thread.onSpinWait();
        n = poll.attempt();
        waited = System.nanoTime() - start;
      } while (n == 0 && waited < budgetNanos && (until == null || !until.isDone()));
      if (n != 0) {
        estimateNanos += (waited - estimateNanos) >> 2;
      } else if (waited >= budgetNanos) {
        estimateNanos = Math.min(Math.max(estimateNanos, budgetNanos) * 2, budgetNanos * MAX_BACKOFF);
      }
      return n;
    } finally {
      SPINNERS.decrementAndGet();
    }
  }
}
