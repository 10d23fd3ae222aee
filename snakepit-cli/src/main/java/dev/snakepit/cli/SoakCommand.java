package dev.snakepit.cli;

import dev.snakepit.Affinity;
import dev.snakepit.CallOptions;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.HostTool;
import dev.snakepit.PoolEventListener;
import dev.snakepit.Snakepit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit soak}: a long mix of calls (small, binary, streams closed early, timeouts, host
 * callbacks, sessions opened and closed) that ends with one line of figures: calls, errors, heap and
 * worker RSS growth from after the warm-up to the end, threads and fds added, processes leaked.
 * Exit 1 when a call failed unexpectedly or a process leaked.
 */
@Command(
    name = "soak",
    sortOptions = false,
    header = "Run a long mix of calls; report errors, memory growth and leaks.",
    description = {
      "Runs small, binary, streaming (closed early), timing-out, host-callback and session calls",
      "for --duration, then prints one line:",
      "  soak: calls N, errors E, jvm heap growth X%, worker rss growth Y%, threads +T, fds +F, leaked processes L",
      "Growth is measured from the end of the warm-up to the end (heap after a GC). Exit status 1",
      "when a call failed unexpectedly or a worker process outlived the pool.",
      ""
    })
final class SoakCommand implements Callable<Integer> {
  private static final CallOptions NORMAL = CallOptions.defaults().withTimeout(Duration.ofSeconds(30));

  @ParentCommand
  SnakepitCli root;

  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "60s",
      description = "How long to run, warm-up included (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Warm-up before the first measurement (default: a fifth of --duration, at most 60s).")
  Duration warmup;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2", description = "Workers in the pool (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--concurrency", paramLabel = "C", defaultValue = "8", description = "Callers in parallel (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Mixin
  PoolOptions pool;

  /** What the showcase's session_counter returns. */
  record Counter(String session_id, long counter) {}

  /** A snapshot of what grows when something leaks. */
  record Sample(long heap, long workerRss, int threads, int fds) {}

  @Override
  public Integer call() throws Exception {
    var commandLine = spec.commandLine();
    if (workers < 1 || concurrency < 1) {
      throw new ParameterException(commandLine, "--workers and --concurrency must be positive");
    }
    var warm = warmup != null ? warmup : Duration.ofMillis(Math.min(60_000, duration.toMillis() / 5));
    if (warm.compareTo(duration) >= 0) {
      throw new ParameterException(commandLine, "--warmup (" + warm + ") must be shorter than --duration (" + duration + ")");
    }
    if (!SnakepitCli.isVerbose()) {
      // Timeouts are part of the mix: the pool's log line for each would bury the figures.
      System.setProperty("org.slf4j.simpleLogger.log.dev.snakepit", "error");
    }
    var pids = ConcurrentHashMap.<Long>newKeySet();
    var live = ConcurrentHashMap.<Long>newKeySet();
    var listener = new PoolEventListener() {
      @Override
      public void workerStarted(WorkerStarted event) {
        pids.add(event.pid());
        live.add(event.pid());
      }

      @Override
      public void workerCrashed(WorkerCrashed event) {
        live.remove(event.pid());
      }

      @Override
      public void workerRetired(WorkerRetired event) {
        live.remove(event.pid());
      }
    };
    var doubler = HostTool.of("soak_double", "doubles x", (arguments, context) ->
        ((Number) arguments.get("x")).longValue() * 2);
    var config = PoolOptions.build(commandLine, pool.builder(commandLine, "soak", workers)
        .eventListener(listener).hostTool(doubler).workerConcurrency(Math.max(1, concurrency / workers + 1)));
    var err = commandLine.getErr();
    err.println("soak: " + duration.toSeconds() + " s (warm-up " + warm.toSeconds() + " s), " + workers + " workers, "
        + concurrency + " callers");
    err.flush();

    var calls = new AtomicLong();
    var errors = new AtomicLong();
    var firstError = new AtomicReference<Throwable>();
    Sample start;
    Sample end;
    try (var pit = Snakepit.start(config)) {
      long deadline = System.nanoTime() + duration.toNanos();
      long measureAt = System.nanoTime() + warm.toNanos();
      runCallers(pit, measureAt, calls, errors, firstError);
      start = sample(live);
      runCallers(pit, deadline, calls, errors, firstError);
      end = sample(live);
    }
    var leaked = ResourceProbe.stillAlive(pids);
    if (firstError.get() != null) {
      err.println("soak: first unexpected error: " + firstError.get());
      firstError.get().printStackTrace(err);
    }
    var out = commandLine.getOut();
    out.println(String.format(Locale.ROOT,
        "soak: calls %d, errors %d, jvm heap growth %.1f%%, worker rss growth %.1f%%, threads %+d, fds %+d, leaked processes %d",
        calls.get(), errors.get(), ResourceProbe.growthPercent(start.heap(), end.heap()),
        ResourceProbe.growthPercent(start.workerRss(), end.workerRss()), end.threads() - start.threads(),
        end.fds() - start.fds(), leaked.size()));
    out.flush();
    return errors.get() == 0 && leaked.isEmpty() ? 0 : 1;
  }

  /** Runs the mix on {@code concurrency} threads until {@code untilNanos}. */
  private void runCallers(Snakepit pit, long untilNanos, AtomicLong calls, AtomicLong errors,
      AtomicReference<Throwable> firstError) throws InterruptedException {
    var callers = new ArrayList<Thread>();
    for (int i = 0; i < concurrency; i++) {
      callers.add(Thread.ofPlatform().name("soak-caller-" + i).start(() -> {
        while (System.nanoTime() < untilNanos) {
          oneCall(pit, calls, errors, firstError);
        }
      }));
    }
    for (var caller : callers) {
      caller.join();
    }
  }

  private static Sample sample(Set<Long> workerPids) {
    return new Sample(ResourceProbe.heapAfterGc(), ResourceProbe.residentBytes(List.copyOf(workerPids)),
        ResourceProbe.threads(), ResourceProbe.openFiles());
  }

  /** One call of the mix; counts it, and counts it as an error unless it ended as that kind of call must. */
  static void oneCall(Snakepit pit, AtomicLong calls, AtomicLong errors, AtomicReference<Throwable> firstError) {
    var random = ThreadLocalRandom.current();
    int kind = random.nextInt(6);
    try {
      switch (kind) {
        case 0 -> {
          var message = Map.of("n", random.nextInt(), "text", "soak", "list", List.of(1, 2, 3));
          check(pit.execute("echo", Map.of("message", message), NORMAL).asMap().equals(message), "echo changed its value");
        }
        case 1 -> {
          var bytes = new byte[1 + random.nextInt(256 * 1024)];
          random.nextBytes(bytes);
          check(Arrays.equals(pit.execute("echo_bytes", Map.of("data", bytes), NORMAL).bytes(), bytes), "echo_bytes changed its bytes");
        }
        case 2 -> {
          try (var stream = pit.stream("stream_progress", Map.of("steps", 50, "delay_ms", 2), NORMAL)) {
            int read = 0;
            while (stream.hasNext() && read < 2) {
              stream.next();
              read++;
            }
            check(read == 2, "the stream ended early");
          }
        }
        case 3 -> {
          try {
            pit.execute("sleep", Map.of("ms", 2_000), CallOptions.defaults().withTimeout(Duration.ofMillis(20 + random.nextInt(50))));
            check(false, "a 2 s sleep finished within its short timeout");
          } catch (CallTimeoutException expected) {
            // The expected end of this kind of call.
          }
        }
        case 4 -> {
          long x = random.nextInt(1_000_000);
          var result = pit.execute("call_host", Map.of("tool", "soak_double", "arguments", Map.of("x", x)),
              NORMAL.withSessionId("soak-host-" + random.nextInt(4)));
          check(result.asLong() == 2 * x, "the host callback returned " + result.json());
        }
        default -> {
          // A bounded set of ids per caller, opened and closed over and over (the showcase keeps a counter per id).
          String id = "soak-session-" + Thread.currentThread().threadId() + "-" + random.nextInt(8);
          try (var session = pit.session(id, Affinity.STRICT_QUEUE)) {
            long first = session.execute("session_counter", Map.of("increment", 1), NORMAL).as(Counter.class).counter();
            long second = session.execute("session_counter", Map.of("increment", 1), NORMAL).as(Counter.class).counter();
            check(second == first + 1, "the session counter went from " + first + " to " + second);
          }
        }
      }
    } catch (RuntimeException | AssertionError e) {
      errors.incrementAndGet();
      firstError.compareAndSet(null, e);
      System.err.println("soak: unexpected error in call kind " + kind + ": " + e);
    } finally {
      calls.incrementAndGet();
    }
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
