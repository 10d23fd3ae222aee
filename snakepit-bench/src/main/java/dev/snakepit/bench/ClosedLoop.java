package dev.snakepit.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Closed-loop throughput: keep {@code inFlight} calls outstanding (each completion starts the next),
 * warm up, then count completions in a measurement window; then stop and drain before returning,
 * so measurements never overlap.
 */
final class ClosedLoop {
  private ClosedLoop() {}

  /** Starts one call; exactly one of the callbacks runs when it ends. */
  @FunctionalInterface
  interface AsyncCall {
    void start(Runnable done, Consumer<Throwable> failed);
  }

  /** Calls per second with an asynchronous API. */
  static double async(AsyncCall call, int inFlight, Duration warmup, Duration window) {
    var stop = new AtomicBoolean();
    var completed = new AtomicLong();
    var outstanding = new AtomicInteger();
    var failure = new AtomicReference<Throwable>();
    var issue = new Runnable() {
      @Override
      public void run() {
        outstanding.incrementAndGet();
        call.start(() -> {
          completed.incrementAndGet();
          if (!stop.get()) {
            run();
          }
          outstanding.decrementAndGet();
        }, error -> {
          failure.compareAndSet(null, error);
          outstanding.decrementAndGet();
        });
      }
    };
    for (int i = 0; i < inFlight; i++) {
      issue.run();
    }
    return measure(stop, completed, failure, warmup, window, () -> outstanding.get() == 0);
  }

  /** Calls per second with a blocking API: {@code inFlight} threads, each calling in a loop. */
  static double threads(Contender.Operation call, int inFlight, Duration warmup, Duration window) {
    var stop = new AtomicBoolean();
    var completed = new AtomicLong();
    var failure = new AtomicReference<Throwable>();
    var threads = new ArrayList<Thread>();
    // Every caller completes one call before the clock starts: a blocking client may open a
    // connection per thread, and a burst of connects can stall for a second in a small accept backlog.
    var connected = new CountDownLatch(inFlight);
    for (int i = 0; i < inFlight; i++) {
      threads.add(Thread.ofPlatform().daemon().name("snakepit-bench-caller-" + i).start(() -> {
        boolean first = true;
        while (!stop.get()) {
          try {
            call.run();
            completed.incrementAndGet();
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
            connected.countDown();
            return;
          }
          if (first) {
            connected.countDown();
            first = false;
          }
        }
      }));
    }
    try {
      if (!connected.await(60, TimeUnit.SECONDS)) {
        failure.compareAndSet(null, new IllegalStateException("callers did not complete a first call within 60 s"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return measure(stop, completed, failure, warmup, window, () -> threads.stream().noneMatch(Thread::isAlive));
  }

  private static double measure(AtomicBoolean stop, AtomicLong completed, AtomicReference<Throwable> failure,
      Duration warmup, Duration window, java.util.function.BooleanSupplier drained) {
    try {
      sleep(warmup);
      long c0 = completed.get();
      long t0 = System.nanoTime();
      sleep(window);
      long c1 = completed.get();
      long t1 = System.nanoTime();
      if (failure.get() != null) {
        throw new IllegalStateException("a call failed: " + failure.get(), failure.get());
      }
      return (c1 - c0) / ((t1 - t0) / 1e9);
    } finally {
      stop.set(true);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!drained.getAsBoolean() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
