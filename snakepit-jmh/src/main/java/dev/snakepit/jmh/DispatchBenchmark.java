package dev.snakepit.jmh;

import dev.snakepit.SnakepitConfig;
import dev.snakepit.internal.pool.WorkerPool;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Dispatch: taking the least-busy worker from the pool and giving it back, the pool's own cost per
 * call. Runs against a real pool of idle workers (no call is sent), reaching the pool's private
 * {@code acquire}/{@code release} through method handles. {@code baseline} is an uncontended lock
 * and unlock, the floor of any locked hand-out.
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

  private WorkerPool pool;
  private MethodHandle acquire;
  private MethodHandle release;
  private final ReentrantLock lock = new ReentrantLock();
  private final Duration budget = Duration.ofSeconds(30);

  @Setup(Level.Trial)
  public void startPool() throws ReflectiveOperationException {
    pool = WorkerPool.start(SnakepitConfig.builder().poolName("jmh").workers(workers).workerConcurrency(4).build());
    var lookup = MethodHandles.privateLookupIn(WorkerPool.class, MethodHandles.lookup());
    var workerClass = Class.forName("dev.snakepit.internal.pool.PooledWorker");
    var routeClass = Class.forName("dev.snakepit.internal.pool.WorkerPool$Route");
    acquire = lookup.findVirtual(WorkerPool.class, "acquire",
            MethodType.methodType(CompletableFuture.class, String.class, long.class, Duration.class, routeClass))
        .asType(MethodType.methodType(CompletableFuture.class, WorkerPool.class, String.class, long.class, Duration.class, Object.class));
    release = lookup.findVirtual(WorkerPool.class, "release", MethodType.methodType(void.class, workerClass))
        .asType(MethodType.methodType(void.class, WorkerPool.class, Object.class));
  }

  @TearDown(Level.Trial)
  public void closePool() {
    pool.close();
  }

  /** The no-op: an uncontended lock and unlock. */
  @Benchmark
  public void baseline() {
    lock.lock();
    lock.unlock();
  }

  /** acquire (least-busy scan, in-flight count) then release (hand-off check). */
  @Benchmark
  public Object acquireRelease() throws Throwable {
    var future = (CompletableFuture<?>) acquire.invokeExact(pool, "echo", System.nanoTime() + budget.toNanos(), budget, (Object) null);
    Object worker = future.join();
    release.invokeExact(pool, worker);
    return worker;
  }
}
