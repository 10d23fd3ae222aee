package dev.snakepit.cli;

import dev.snakepit.CallOptions;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The load mode of {@code snakepit chaos --load}: many concurrent callers (virtual threads) for a
 * while, with random cancellations and short timeouts; then the pool's counts (busy calls, which are
 * the workers' in-flight permits, queued calls, sessions) must all return to zero, and the p99
 * latency of the calls that succeeded is reported.
 */
final class LoadRun {
  /** What a load run saw. */
  record Result(long ok, long cancelled, long timedOut, Map<String, Integer> otherTyped, long untyped,
      long p50Micros, long p99Micros, long maxMicros, boolean countsAtRest, String countsAtEnd, long elapsedMs) {
    boolean passed() {
      return untyped == 0 && countsAtRest;
    }
  }

  private final int callers;
  private final Duration duration;

  LoadRun(int callers, Duration duration) {
    this.callers = callers;
    this.duration = duration;
  }

  Result run(Snakepit pit) throws InterruptedException {
    var ok = new LongAdder();
    var cancelled = new LongAdder();
    var timedOut = new LongAdder();
    var untyped = new LongAdder();
    var typed = new ConcurrentHashMap<String, AtomicInteger>();
    var latencies = new LatencyLog(1 << 20);
    long started = System.nanoTime();
    long deadline = started + duration.toNanos();
    var threads = new Thread[callers];
    for (int i = 0; i < callers; i++) {
      int caller = i;
      threads[i] = Thread.ofVirtual().name("load-caller-" + i).start(() -> {
        while (System.nanoTime() < deadline) {
          oneCall(pit, caller, ok, cancelled, timedOut, untyped, typed, latencies);
        }
      });
    }
    for (var thread : threads) {
      thread.join();
    }
    // Cancelled calls still release their worker asynchronously: wait, bounded, for rest.
    long restDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    boolean atRest;
    do {
      var stats = pit.stats();
      atRest = stats.busy() == 0 && stats.queued() == 0 && stats.sessions() == 0;
      if (!atRest) {
        Thread.sleep(20);
      }
    } while (!atRest && System.nanoTime() < restDeadline);
    var stats = pit.stats();
    var sorted = latencies.sorted();
    return new Result(ok.sum(), cancelled.sum(), timedOut.sum(), snapshot(typed), untyped.sum(),
        percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.length == 0 ? 0 : sorted[sorted.length - 1], atRest,
        "busy " + stats.busy() + ", queued " + stats.queued() + ", sessions " + stats.sessions(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private static void oneCall(Snakepit pit, int caller, LongAdder ok, LongAdder cancelled, LongAdder timedOut,
      LongAdder untyped, Map<String, AtomicInteger> typed, LatencyLog latencies) {
    var random = ThreadLocalRandom.current();
    var options = CallOptions.defaults().withTimeout(Duration.ofMillis(random.nextInt(10) == 0 ? 5 + random.nextInt(40) : 5_000));
    int pick = random.nextInt(10);
    long begin = System.nanoTime();
    dev.snakepit.Session session = null;
    try {
      if (pick == 0) {
        session = pit.session("load-" + caller);
      }
      var arguments = pick < 5 ? Map.<String, Object>of("ms", 1 + random.nextInt(20)) : Map.<String, Object>of("message", caller);
      var tool = pick < 5 ? "sleep" : "echo";
      var future = session != null ? session.executeAsync(tool, arguments, options) : pit.executeAsync(tool, arguments, options);
      if (random.nextInt(5) == 0) {
        // Cancel at a random point: before dispatch, while queued, or while running.
        Thread.sleep(random.nextInt(15));
        future.cancel(true);
      }
      future.get(30, TimeUnit.SECONDS);
      ok.increment();
      latencies.add((System.nanoTime() - begin) / 1_000);
    } catch (CancellationException e) {
      cancelled.increment();
    } catch (ExecutionException | CompletionException e) {
      var cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof dev.snakepit.CallTimeoutException) {
        timedOut.increment();
      } else if (cause instanceof SnakepitException typedCause) {
        typed.computeIfAbsent(kindOf(typedCause), k -> new AtomicInteger()).incrementAndGet();
      } else {
        untyped.increment();
      }
    } catch (SnakepitException e) {
      typed.computeIfAbsent(kindOf(e), k -> new AtomicInteger()).incrementAndGet();
    } catch (TimeoutException | RuntimeException e) {
      untyped.increment();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      untyped.increment();
    } finally {
      if (session != null) {
        session.close();
      }
    }
  }

  private static String kindOf(SnakepitException e) {
    return e instanceof dev.snakepit.PoolSaturatedException saturated
        ? "PoolSaturatedException/" + saturated.reason() : e.getClass().getSimpleName();
  }

  private static Map<String, Integer> snapshot(Map<String, AtomicInteger> typed) {
    var copy = new TreeMap<String, Integer>();
    typed.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  private static long percentile(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  void print(Result r, PrintWriter out, Terminal term) {
    out.println("  callers                  " + callers + " for " + duration.toSeconds() + " s");
    out.println("  calls ok                 " + r.ok() + "  (p50 " + r.p50Micros() / 1000.0 + " ms, p99 "
        + r.p99Micros() / 1000.0 + " ms, max " + r.maxMicros() / 1000.0 + " ms)");
    out.println("  calls cancelled          " + r.cancelled());
    out.println("  calls timed out          " + r.timedOut());
    out.println("  other typed failures     " + r.otherTyped());
    out.println("  untyped failures         " + (r.untyped() == 0 ? term.green("0") : term.red(Long.toString(r.untyped()))));
    out.println("  counts at rest           " + (r.countsAtRest() ? term.green("yes") : term.red("no")) + " (" + r.countsAtEnd() + ")");
    out.println("  elapsed                  " + r.elapsedMs() + " ms");
    out.flush();
  }

  /** Latencies (microseconds) of successful calls, a bounded number of them. */
  private static final class LatencyLog {
    private final long[] values;
    private final AtomicLong next = new AtomicLong();

    LatencyLog(int capacity) {
      values = new long[capacity];
    }

    void add(long micros) {
      long i = next.getAndIncrement();
      if (i < values.length) {
        values[(int) i] = micros;
      }
    }

    long[] sorted() {
      var copy = Arrays.copyOf(values, (int) Math.min(values.length, next.get()));
      Arrays.sort(copy);
      return copy;
    }
  }
}
