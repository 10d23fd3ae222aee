package dev.snakepit.internal.pool;

import java.util.concurrent.TimeUnit;

/**
 * Keeps calls on as few hot workers as keep them fast. With many more workers than cores, giving
 * every call in flight an idle worker of its own wakes dozens of processes that then fight for the
 * CPU: on 2 cores, 128 workers with 64 calls in flight served half the calls per second 2 workers
 * did. So the dispatcher holds a further call back in the queue, for the next worker to come free,
 * once {@link #limit} workers are busy. The limit adapts like an adaptive concurrency limit (the
 * gradient of Netflix's concurrency-limits): each round of calls it is scaled by how much slower
 * calls got than the fastest seen ({@code fastest / average}, so CPU-bound calls that only queue for
 * the cores shrink it) plus a little headroom (so calls that wait on I/O, which more workers do not
 * slow down, grow it up to every worker). It never goes under the configured floor. Should busy
 * workers stop coming free for {@link #STALL_NANOS}, the limit doubles and held calls take idle
 * workers (the dispatcher's stall check), so long calls are not held back for long. Guarded by the
 * pool's lock.
 */
final class HotWorkers {
  /** No worker came free for this long: held calls stop waiting for the busy ones. */
  static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  /** Calls between forgetting the fastest call time, so a change of workload is learned anew. */
  static final int RELEARN_CALLS = 5_000;

  private final int floor;
  private double limit;
  private double fastestNanos = Double.MAX_VALUE;
  private double averageNanos = -1;
  private int roundCalls;
  private int callsSinceRelearn;
  private long lastFreedNanos;
  private boolean stallCheckPending;

  /** {@code floor}: workers kept busy before any call is held back; 0 turns holding back off. */
  HotWorkers(int floor) {
    this.floor = Math.max(0, floor);
    this.limit = this.floor;
  }

  /** Whether a call should wait for a busy worker rather than take an idle one, with {@code busyWorkers} busy. */
  boolean holdBack(int busyWorkers) {
    return floor > 0 && busyWorkers >= (int) limit;
  }

  /**
   * A worker came free after a call that took {@code callNanos} (negative: not measured); the limit
   * never exceeds {@code workers}, the pool's size.
   */
  void freed(long nowNanos, long callNanos, int workers) {
    lastFreedNanos = nowNanos;
    if (floor == 0 || callNanos < 0) {
      return;
    }
    averageNanos = averageNanos < 0 ? callNanos : averageNanos * 0.9 + callNanos * 0.1;
    if (++callsSinceRelearn >= RELEARN_CALLS) {
      callsSinceRelearn = 0;
      fastestNanos = averageNanos;
    }
    fastestNanos = Math.min(fastestNanos, callNanos);
    if (++roundCalls >= Math.max(1, (int) limit)) {
      roundCalls = 0;
      double gradient = Math.max(0.5, Math.min(1.0, fastestNanos / Math.max(1.0, averageNanos)));
      limit = Math.max(floor, Math.min(Math.max(floor, workers), limit * gradient + Math.sqrt(limit)));
    }
  }

  /** Busy workers stopped coming free: double the limit (up to {@code workers}), so held calls start on idle ones. */
  void widen(int workers) {
    limit = Math.min(Math.max(floor, workers), Math.max(floor, limit * 2));
  }

  /** Whether busy workers have not come free for too long, so held calls should take idle ones. */
  boolean stalled(long nowNanos) {
    return nowNanos - lastFreedNanos >= STALL_NANOS;
  }

  /** Claims the one pending stall check: false when one is already scheduled. */
  boolean claimStallCheck() {
    if (stallCheckPending) {
      return false;
    }
    stallCheckPending = true;
    return true;
  }

  void stallChecked() {
    stallCheckPending = false;
  }

  /** The current limit of busy workers before calls are held back. */
  int limit() {
    return (int) limit;
  }
}
