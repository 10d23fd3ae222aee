package dev.snakepit.internal.time;

import java.time.Duration;

/**
 * Runs tasks later. The pool's timer implements it; tests use a manual one that runs due tasks
 * when they advance the ticker.
 */
public interface Scheduler {
  /** A scheduled task that can be called off. */
  @FunctionalInterface
  interface Cancellable {
    /** Calls the task off if it has not run; idempotent. */
    void cancel();
  }

  /** Runs {@code task} once after {@code delay}; returns a no-op handle when the scheduler is shut down. */
  Cancellable schedule(Runnable task, Duration delay);

  /** Runs {@code task} every {@code period} after a first {@code period}; returns a no-op handle when shut down. */
  Cancellable scheduleRepeating(Runnable task, Duration period);
}
