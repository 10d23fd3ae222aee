package dev.snakepit.internal.time;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A {@link Scheduler} on a {@link ScheduledExecutorService}; tasks submitted after shutdown are dropped. */
public final class ExecutorScheduler implements Scheduler {
  private final ScheduledExecutorService executor;

  /** Schedules on {@code executor}; its owner shuts it down. */
  public ExecutorScheduler(ScheduledExecutorService executor) {
    this.executor = executor;
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    try {
      var future = executor.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
      return () -> future.cancel(false);
    } catch (RejectedExecutionException e) {
      return () -> {};
    }
  }

  @Override
  public Cancellable scheduleRepeating(Runnable task, Duration period) {
    try {
      long nanos = period.toNanos();
      var future = executor.scheduleWithFixedDelay(task, nanos, nanos, TimeUnit.NANOSECONDS);
      return () -> future.cancel(false);
    } catch (RejectedExecutionException e) {
      return () -> {};
    }
  }
}
