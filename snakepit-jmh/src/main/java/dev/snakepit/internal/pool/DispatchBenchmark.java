package dev.snakepit.internal.pool;

import dev.snakepit.internal.time.Scheduler;
import dev.snakepit.internal.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Dispatch: taking the least-busy worker from the {@link Dispatcher} and giving it back, the pool's
 * own cost per call. Dispatch is a class of its own, so this runs without processes or reflection
 * (it lives in the pool's package to reach it). {@code baseline} is an uncontended lock and unlock,
 * the floor of any locked hand-out.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class DispatchBenchmark {
  @Param({"1", "4"})
  public int workers;

  private Dispatcher dispatcher;
  private final ReentrantLock lock = new ReentrantLock();
  private final Duration budget = Duration.ofSeconds(30);
  private final Ticker ticker = Ticker.system();

  @Setup(Level.Trial)
  public void startDispatcher() {
    Scheduler never = new Scheduler() {
      @Override
      public Cancellable schedule(Runnable task, Duration delay) {
        return () -> { };
      }

      @Override
      public Cancellable scheduleRepeating(Runnable task, Duration period) {
        return () -> { };
      }
    };
    dispatcher = new Dispatcher(4, 100, Duration.ofSeconds(5), 5, 0, ticker, never, new Listeners(List.of()),
        new RecyclePolicy(0, null, 0, () -> 0.5));
    dispatcher.supervisedBy(new Dispatcher.Supervision() {
      @Override
      public void recycleDue(PooledWorker worker, String reason) {}

      @Override
      public void drained(PooledWorker worker) {}
    });
    var started = new ArrayList<PooledWorker>();
    for (int i = 0; i < workers; i++) {
      started.add(new PooledWorker(i, 1, "jmh-w" + (i + 1), null, null, Long.MAX_VALUE));
    }
    dispatcher.startingMore(workers);
    dispatcher.addInitial(started);
  }

  /** The no-op: an uncontended lock and unlock. */
  @Benchmark
  public void baseline() {
    lock.lock();
    lock.unlock();
  }

  /** acquire (least-busy scan, in-flight count) then release (hand-off check). */
  @Benchmark
  public Object acquireRelease() {
    var worker = dispatcher.acquire("echo", null, ticker.read() + budget.toNanos(), budget).join();
    dispatcher.release(worker);
    return worker;
  }
}
