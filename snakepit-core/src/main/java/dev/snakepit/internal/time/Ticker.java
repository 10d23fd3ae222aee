package dev.snakepit.internal.time;

/**
 * A source of monotonic nanoseconds (Caffeine's {@code Ticker}): every time-dependent decision of the
 * pool reads time through one, so tests drive time with a manual ticker.
 */
@FunctionalInterface
public interface Ticker {
  /** Monotonic nanoseconds; only differences are meaningful. */
  long read();

  /** The system's monotonic clock. */
  static Ticker system() {
    return System::nanoTime;
  }
}
