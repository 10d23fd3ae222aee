package dev.snakepit.internal.pool;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential back-off of failed worker starts: the first retry waits {@code initial}, each later
 * one twice as long, capped at {@code max}, times a random factor in [0.8, 1.2) so that workers that
 * failed together do not retry together. A pure function of the attempt and the random source.
 */
final class Backoff {
  static final double JITTER_LOW = 0.8;
  static final double JITTER_HIGH = 1.2;

  private final Duration initial;
  private final Duration max;
  private final DoubleSupplier random;

  /**
   * @param random values in [0, 1): {@code ThreadLocalRandom.current()::nextDouble} in production
   */
  Backoff(Duration initial, Duration max, DoubleSupplier random) {
    this.initial = initial;
    this.max = max;
    this.random = random;
  }

  /** The wait before attempt {@code attempt} (0 is the first try, which does not wait). */
  Duration delay(int attempt) {
    if (attempt <= 0) {
      return Duration.ZERO;
    }
    long base = initial.toMillis() << Math.min(attempt - 1, 20);
    long capped = Math.min(base, max.toMillis());
    double factor = JITTER_LOW + (JITTER_HIGH - JITTER_LOW) * random.getAsDouble();
    return Duration.ofMillis((long) (capped * factor));
  }
}
