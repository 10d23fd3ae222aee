package dev.snakepit.internal.pool;

import java.time.Duration;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * When a worker is replaced on purpose: after {@code maxCallsPerWorker} calls, past its maximum age
 * (each worker's age limit gets up to 10% random extra, so workers started together do not retire
 * together), or over the memory limit. Pure decisions; the caller reads time and memory.
 */
final class RecyclePolicy {
  static final double AGE_JITTER = 0.1;

  private final long maxCalls;
  private final Duration maxAge;
  private final long maxMemory;
  private final DoubleSupplier random;

  /**
   * @param maxCalls calls after which a worker is recycled, or 0 for no limit
   * @param maxAge age after which a worker is recycled, or null for no limit
   * @param maxMemory resident bytes over which a worker is recycled, or 0 for no limit
   * @param random values in [0, 1)
   */
  RecyclePolicy(long maxCalls, Duration maxAge, long maxMemory, DoubleSupplier random) {
    this.maxCalls = maxCalls;
    this.maxAge = maxAge;
    this.maxMemory = maxMemory;
    this.random = random;
  }

  /** When a worker started at {@code startedNanos} is due by age, or {@link Long#MAX_VALUE} for never. */
  long retireAt(long startedNanos) {
    if (maxAge == null) {
      return Long.MAX_VALUE;
    }
    long age = maxAge.toNanos();
    return startedNanos + age + (long) (age * AGE_JITTER * random.getAsDouble());
  }

  /** The reason to recycle a worker that has completed {@code completedCalls}, or null. */
  String dueByCalls(long completedCalls) {
    return maxCalls > 0 && completedCalls >= maxCalls
        ? "served " + completedCalls + " calls (maxCallsPerWorker " + maxCalls + ")"
        : null;
  }

  /**
   * The reason to recycle a worker at {@code nowNanos}, by age or memory, or null. Memory is read
   * (via {@code residentMemory}) only when a limit is set and the age is not due.
   */
  String dueByAgeOrMemory(long nowNanos, long retireAtNanos, LongSupplier residentMemory) {
    if (nowNanos - retireAtNanos >= 0) {
      return "reached maxWorkerAge " + maxAge;
    }
    if (maxMemory > 0) {
      long rss = residentMemory.getAsLong();
      if (rss > maxMemory) {
        return "resident memory " + rss / (1024 * 1024) + " MiB is over maxWorkerMemory " + maxMemory / (1024 * 1024) + " MiB";
      }
    }
    return null;
  }
}
