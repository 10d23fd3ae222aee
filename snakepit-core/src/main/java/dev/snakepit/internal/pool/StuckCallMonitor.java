package dev.snakepit.internal.pool;

import dev.snakepit.internal.time.Scheduler;
import dev.snakepit.internal.time.Ticker;
import dev.snakepit.internal.transport.WorkerStatus;
import java.time.Duration;

/**
 * Watches a worker after one of its calls was cancelled or timed out: it gets no calls until a Ping
 * shows it is not still running that call (a sync tool that ignores cancellation); if it still is
 * after the stuck-call grace, it is recycled. Checks run on the injected scheduler, time comes from
 * the injected ticker.
 */
final class StuckCallMonitor {
  /** First check soon after the cancellation, then every {@link #RECHECK}. */
  static final Duration FIRST_CHECK = Duration.ofMillis(20);
  static final Duration RECHECK = Duration.ofMillis(100);

  /** What the pool does with the verdicts. */
  interface Target {
    /**
     * Settles a suspect worker after a Ping (under the pool's lock, using {@link #busy}): a worker
     * that is not busy goes back to serving. Returns whether it was busy, or null when it is no
     * longer suspect (dead, retiring, already cleared): the watch ends.
     */
    Boolean settle(PooledWorker worker, WorkerStatus status, Throwable error);

    /** Replaces a worker found stuck, after capturing where it is stuck. */
    void recycleStuck(PooledWorker worker, String reason);
  }

  /** The outcome of one check. */
  enum Verdict { IDLE, RECHECK, RECYCLE }

  private final Duration grace;
  private final Duration pingTimeout;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final Target target;

  StuckCallMonitor(Duration grace, Duration pingTimeout, Ticker ticker, Scheduler scheduler, Target target) {
    this.grace = grace;
    this.pingTimeout = pingTimeout;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.target = target;
  }

  /** Starts watching a worker that was just made suspect. */
  void watch(PooledWorker worker) {
    long graceEnd = ticker.read() + grace.toNanos();
    scheduler.schedule(() -> check(worker, graceEnd), FIRST_CHECK);
  }

  /** Whether a worker's Ping shows it still runs more than the pool gave it (or did not answer). */
  static boolean busy(WorkerStatus status, Throwable error, int inFlight) {
    return error != null || status.busyThreads() > inFlight || status.activeCalls() > inFlight;
  }

  /** The verdict of one check at {@code nowNanos}. */
  static Verdict verdict(boolean busy, long nowNanos, long graceEndNanos) {
    if (!busy) {
      return Verdict.IDLE;
    }
    return nowNanos - graceEndNanos >= 0 ? Verdict.RECYCLE : Verdict.RECHECK;
  }

  private void check(PooledWorker worker, long graceEnd) {
    worker.transport.ping(pingTimeout).whenComplete((status, error) -> {
      var busy = target.settle(worker, status, error);
      if (busy == null) {
        return;
      }
      switch (verdict(busy, ticker.read(), graceEnd)) {
        case IDLE -> { }
        case RECHECK -> scheduler.schedule(() -> check(worker, graceEnd), RECHECK);
        case RECYCLE -> target.recycleStuck(worker, error != null
            ? "it stopped answering after a cancelled call"
            : "still busy " + grace.toMillis() + " ms after a cancelled call (" + status.busyThreads()
                + " tool threads running)");
      }
    });
  }
}
