package dev.snakepit.bench;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The start-up cases of the fork server, each measured with forked and with spawned workers
 * (interleaved rounds): the heavy adapter (numpy, pandas, scikit-learn) to the first call and to
 * eight ready workers, a replacement after SIGKILL, and 128 workers until all are ready.
 */
final class ForkStartupCases {
  static final String HEAVY_ONE = "heavy adapter: 1 worker -> first call";
  static final String HEAVY_EIGHT = "heavy adapter: 8 workers -> all ready";
  static final String REPLACEMENT = "replacement after SIGKILL";
  static final String SCALE = "128 workers -> all ready";
  static final String FORK = "snakepit (fork)";
  static final String SPAWN = "snakepit (spawn)";
  static final String HEAVY_ADAPTER = "snakepit_bench.heavy.HeavyAdapter";
  static final int SCALE_WORKERS = 128;
  private static final List<StartMode> MODES = List.of(StartMode.FORK, StartMode.SPAWN);

  private ForkStartupCases() {}

  static String contender(StartMode mode) {
    return mode == StartMode.FORK ? FORK : SPAWN;
  }

  /** A pool config for one of these cases: the bench defaults, the given adapter, mode and size. */
  static SnakepitConfig.Builder config(BenchContext context, String adapter, int workers, StartMode mode) {
    return SnakepitPeer.config(context, workers).adapter(adapter).startMode(mode).startupTimeout(Duration.ofSeconds(120));
  }

  static void run(BenchContext context, Report report) {
    int rounds = context.budget.startupRounds();
    measure(context, report, HEAVY_ONE, rounds, true, mode -> {
      var pit = context.track(Snakepit.start(config(context, HEAVY_ADAPTER, 1, mode).build()));
      pit.execute("predict", Map.of("features", List.of(0.1, -0.2, 0.3, 0.4)));
      return pit;
    });
    measure(context, report, HEAVY_EIGHT, rounds, true,
        mode -> context.track(Snakepit.start(config(context, HEAVY_ADAPTER, 8, mode).build())));
    replacement(context, report, rounds);
    measure(context, report, SCALE, context.quick ? 1 : 2, false, mode -> context.track(Snakepit.start(
        config(context, SnakepitConfig.SHOWCASE_ADAPTER, SCALE_WORKERS, mode).build())));
  }

  /** Interleaved rounds of starting (timed) and closing (not timed) for both modes. */
  private static void measure(BenchContext context, Report report, String caseName, int rounds, boolean warm,
      Function<StartMode, AutoCloseable> starter) {
    context.say("startup: " + caseName + ", " + rounds + " rounds");
    var samples = new ArrayList<Samples>();
    for (var mode : MODES) {
      samples.add(new Samples());
      if (warm) {
        context.close(starter.apply(mode)); // the page cache and the JIT
      }
    }
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < MODES.size(); i++) {
        int index = (i + round) % MODES.size();
        long start = System.nanoTime();
        var started = starter.apply(MODES.get(index));
        samples.get(index).add(System.nanoTime() - start);
        context.close(started);
      }
    }
    for (int i = 0; i < MODES.size(); i++) {
      report.latency(StartupScenario.ID, caseName, contender(MODES.get(i)), Report.Role.OURS, samples.get(i));
    }
  }

  /** From the SIGKILL of a pool's only worker until its replacement answered a call. */
  private static void replacement(BenchContext context, Report report, int rounds) {
    context.say("startup: " + REPLACEMENT + ", " + rounds + " rounds");
    var pools = new ArrayList<Snakepit>();
    var samples = new ArrayList<Samples>();
    try {
      for (var mode : MODES) {
        var pit = context.track(Snakepit.start(config(context, SnakepitPeer.ADAPTER, 1, mode).build()));
        pools.add(pit);
        samples.add(new Samples());
        killAndAwaitReplacement(pit); // warm-up
      }
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < MODES.size(); i++) {
          int index = (i + round) % MODES.size();
          samples.get(index).add(killAndAwaitReplacement(pools.get(index)));
        }
      }
    } finally {
      pools.forEach(context::close);
    }
    for (int i = 0; i < MODES.size(); i++) {
      report.latency(StartupScenario.ID, REPLACEMENT, contender(MODES.get(i)), Report.Role.OURS, samples.get(i));
    }
  }

  private static long killAndAwaitReplacement(Snakepit pit) {
    long victim = pit.workerPids().getFirst();
    var process = ProcessHandle.of(victim).orElseThrow();
    long start = System.nanoTime();
    process.destroyForcibly();
    long deadline = start + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      var pids = pit.workerPids();
      if (!pids.isEmpty() && !pids.contains(victim)) {
        try {
          pit.execute("echo", Map.of("message", LatencyScenario.MESSAGE));
          return System.nanoTime() - start;
        } catch (RuntimeException e) {
          // the replacement is not there yet
        }
      }
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
    }
    throw new IllegalStateException("no replacement answered within 120 s of the SIGKILL of pid " + victim);
  }
}
