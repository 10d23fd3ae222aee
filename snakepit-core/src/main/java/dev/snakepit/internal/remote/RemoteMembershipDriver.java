package dev.snakepit.internal.remote;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link RemoteMembership} on one named thread: ticks when it asked to, and right after a
 * probe completes. Listener events therefore arrive on this thread, one at a time.
 */
public final class RemoteMembershipDriver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteMembershipDriver.class);

  private final RemoteMembership membership;
  private final LongSupplier ticker;
  private final ScheduledExecutorService thread;
  private ScheduledFuture<?> nextTick;

  /**
   * Starts driving {@code membership}.
   *
   * @param membership the membership
   * @param ticker nanosecond time
   * @param threads names the thread (e.g. {@code snakepit-<pool>-remote-membership})
   */
  public RemoteMembershipDriver(RemoteMembership membership, LongSupplier ticker, ThreadFactory threads) {
    this.membership = membership;
    this.ticker = ticker;
    this.thread = Executors.newSingleThreadScheduledExecutor(threads);
    membership.onProbeCompleted((endpoint, result, failure) -> submit(() -> {
      membership.onProbe(endpoint, result, failure, ticker.getAsLong());
      tick();
    }));
    submit(this::tick);
  }

  /** Ticks soon (after a call saw a connection fail, for example). */
  public void wakeUp() {
    submit(this::tick);
  }

  private void tick() {
    long delay;
    try {
      delay = membership.tick(ticker.getAsLong());
    } catch (RuntimeException e) {
      LOG.warn("Remote worker membership failed a tick; retrying in 1 s", e);
      delay = TimeUnit.SECONDS.toNanos(1);
    }
    if (nextTick != null) {
      nextTick.cancel(false);
    }
    if (delay != Long.MAX_VALUE) {
      try {
        nextTick = thread.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closing) {
        // closed meanwhile
      }
    }
  }

  private void submit(Runnable task) {
    try {
      thread.execute(task);
    } catch (RejectedExecutionException closing) {
      // closed: late probe results are dropped
    }
  }

  /** Stops the membership and its thread. */
  @Override
  public void close() {
    membership.close();
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
