package dev.snakepit.internal.pool;

import dev.snakepit.internal.time.Scheduler;
import dev.snakepit.internal.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A ticker and scheduler driven by the test: {@link #advance} moves time and runs what fell due. */
final class ManualClock implements Ticker, Scheduler {
  private final class Task {
    final Runnable body;
    final long period;
    long due;
    boolean cancelled;

    Task(Runnable body, long due, long period) {
      this.body = body;
      this.due = due;
      this.period = period;
    }
  }

  private long now = 1_000_000_000L;
  private long sequence;
  private final List<Task> tasks = new ArrayList<>();

  @Override
  public long read() {
    return now;
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, Duration delay) {
    var t = new Task(task, now + Math.max(0, delay.toNanos()), 0);
    tasks.add(t);
    return () -> t.cancelled = true;
  }

  @Override
  public synchronized Cancellable scheduleRepeating(Runnable task, Duration period) {
    var t = new Task(task, now + period.toNanos(), period.toNanos());
    tasks.add(t);
    return () -> t.cancelled = true;
  }

  /** Pending (not cancelled) tasks. */
  synchronized int pending() {
    return (int) tasks.stream().filter(t -> !t.cancelled).count();
  }

  /** Moves time forward, running every task that falls due, in due order. */
  void advance(Duration by) {
    long target = now + by.toNanos();
    while (true) {
      Task next;
      synchronized (this) {
        tasks.removeIf(t -> t.cancelled);
        next = tasks.stream().filter(t -> t.due <= target).min(Comparator.comparingLong(t -> t.due)).orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        now = Math.max(now, next.due);
        if (next.period > 0) {
          next.due += next.period;
        } else {
          tasks.remove(next);
        }
      }
      sequence++;
      next.body.run();
    }
  }
}
