package dev.snakepit.internal.pool;

import dev.snakepit.StartupFailedException;

/**
 * Counts worker starts that failed in a row; at {@code threshold} it opens, and calls that no ready
 * worker can serve fail fast ({@link dev.snakepit.PoolUnavailableException}) instead of waiting for a
 * worker that may never come. The next successful start closes it. Not thread-safe: the
 * {@link Dispatcher}'s lock guards it.
 */
final class StartupBreaker {
  /** What changed with an event. */
  enum Transition { NONE, OPENED, CLOSED }

  private final int threshold;
  private int consecutiveFailures;
  private StartupFailedException lastFailure;
  private boolean open;

  StartupBreaker(int threshold) {
    this.threshold = threshold;
  }

  /** Records a failed start; returns {@link Transition#OPENED} when this failure opened the breaker. */
  Transition failed(RuntimeException failure) {
    consecutiveFailures++;
    lastFailure = failure instanceof StartupFailedException startup ? startup
        : new StartupFailedException("-", failure.toString(), null, null, failure);
    if (consecutiveFailures >= threshold && !open) {
      open = true;
      return Transition.OPENED;
    }
    return Transition.NONE;
  }

  /** Records a successful start; returns {@link Transition#CLOSED} when it closed the breaker. */
  Transition succeeded() {
    consecutiveFailures = 0;
    if (open) {
      open = false;
      return Transition.CLOSED;
    }
    return Transition.NONE;
  }

  boolean isOpen() {
    return open;
  }

  int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** The last failure, or null before any. */
  StartupFailedException lastFailure() {
    return lastFailure;
  }
}
