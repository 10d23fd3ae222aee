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
 * core free (so never on one core). Adaptive: after a spin that found nothing, a lane skips the next
 * 1, 2, 4 ... up to 64 waits before it polls again (an answer that comes in time resets that), so a
 * lane whose answers outlast the budget polls on fewer than 2% of its waits. Only the thread holding a lane's read role uses its instance.
 */
final class AdaptiveSpin {
  /** Reads what has arrived without blocking: bytes read, 0 if nothing, -1 at end of stream. */
  interface Poll {
    int attempt() throws IOException;
  }

  private static final int MAX_SPINNERS = Runtime.getRuntime().availableProcessors() - 1;
  private static final AtomicInteger SPINNERS = new AtomicInteger();
  private static final int MAX_BACKOFF = 64;

  private final long budgetNanos;
  /** Waits skipped after the last spin that found nothing: 0, then 1, 2, 4 ... up to MAX_BACKOFF. */
  private int backoff;
  /** Waits still to skip before polling again. */
  private int skipping;

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
    if (skipping > 0) {
      skipping--;
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
        // A yield, not a pure spin: when the machine is busy, whoever is runnable here (the worker
        // we wait for, perhaps) gets the CPU; when it is idle, the yield returns at once.
        Thread.yield();
        n = poll.attempt();
        waited = System.nanoTime() - start;
      } while (n == 0 && waited < budgetNanos && (until == null || !until.isDone()));
      if (n != 0) {
        backoff = 0;
      } else if (waited >= budgetNanos) {
        backoff = Math.min(Math.max(1, backoff * 2), MAX_BACKOFF);
        skipping = backoff;
      }
      return n;
    } finally {
      SPINNERS.decrementAndGet();
    }
  }
}
