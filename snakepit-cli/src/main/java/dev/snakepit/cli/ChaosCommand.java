package dev.snakepit.cli;

import dev.snakepit.CallOptions;
import dev.snakepit.PoolEventListener;
import dev.snakepit.Snakepit;
import dev.snakepit.ToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit chaos}: runs calls while killing random workers with SIGKILL, then reports calls
 * that succeeded, calls that failed with a typed error, calls lost (no answer, or an untyped one:
 * must be 0) and worker processes leaked after close (must be 0). Exit 1 when anything was lost
 * or leaked.
 */
@Command(
    name = "chaos",
    sortOptions = false,
    header = "Run calls while killing random workers; report lost calls and leaked processes.",
    description = {
      "Run calls against a pool while a killer sends SIGKILL to a random worker every",
      "--kill-every. Prints calls ok, calls failed with a typed error (by type), calls",
      "lost (must be 0) and leaked processes after close (must be 0). Exit status 1",
      "when a call was lost or a process leaked.",
      "With --standalone: remote workers (docs/remote.md), --workers standalone workers",
      "on 127.0.0.1, idempotent calls and sessions for --duration, a SIGKILL and restart",
      "on the same port every --kill-every (with --partition every other fault is a 3 s",
      "SIGSTOP); also reports sessions that got WORKER_LOST and the time to notice a loss.",
      ""
    })
final class ChaosCommand implements Callable<Integer> {
  @ParentCommand
  SnakepitCli root;

  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Option(names = "--calls", paramLabel = "N", defaultValue = "500", description = "Calls to run (default: ${DEFAULT-VALUE}).")
  int calls;

  @Option(names = "--workers", paramLabel = "W", defaultValue = "4", description = "Workers in the pool (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--kill-every", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "200ms",
      description = "Pause between kills (default: ${DEFAULT-VALUE}).")
  Duration killEvery;

  @Option(names = "--concurrency", paramLabel = "C", defaultValue = "16", description = "Calls in flight (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--idempotent", description = "Mark calls idempotent, so a call whose worker dies is retried once.")
  boolean idempotent;

  @Option(names = "--load", description = "Load mode instead of kills: --callers concurrent callers for --duration,"
      + " with random cancellations and short timeouts; then the pool's counts must return to zero.")
  boolean load;

  @Option(names = "--callers", paramLabel = "N", defaultValue = "1000", description = "Load mode: concurrent callers (default: ${DEFAULT-VALUE}).")
  int callers;

  @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "2m",
      description = "Load and --standalone modes: how long the callers run (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--standalone", description = "Remote-worker mode: start --workers standalone workers"
      + " (python -m snakepit_bridge.server) on 127.0.0.1 with a generated token, run --concurrency idempotent callers"
      + " and a session per worker for --duration, and every --kill-every SIGKILL a random worker and restart it"
      + " on the same port.")
  boolean standalone;

  @Option(names = "--partition", description = "With --standalone: every other fault is a partition stand-in instead"
      + " of a kill: the worker is SIGSTOPped for 3 s (alive but silent), then SIGCONTed.")
  boolean partition;

  @Mixin
  PoolOptions pool;

  @Override
  public Integer call() throws Exception {
    var commandLine = spec.commandLine();
    var out = commandLine.getOut();
    var term = root.terminal();
    if (!SnakepitCli.isVerbose()) {
      // Crashes are the point here: the pool's warning for each one would bury the report.
      System.setProperty("org.slf4j.simpleLogger.log.dev.snakepit", "error");
    }
    if (load) {
      return load(commandLine, out, term);
    }
    if (standalone) {
      return standalone(commandLine, out, term);
    }
    if (partition) {
      throw new picocli.CommandLine.ParameterException(commandLine, "--partition goes with --standalone");
    }
    if (calls < 1 || workers < 1 || concurrency < 1) {
      throw new picocli.CommandLine.ParameterException(commandLine, "--calls, --workers and --concurrency must be positive");
    }
    var pids = ConcurrentHashMap.<Long>newKeySet();
    var listener = new PoolEventListener() {
      @Override
      public void workerStarted(WorkerStarted event) {
        pids.add(event.pid());
      }
    };
    var config = PoolOptions.build(commandLine, pool.builder(commandLine, "chaos", workers)
        .eventListener(listener)
        .restartBackoff(Duration.ofMillis(20), Duration.ofSeconds(1))
        .breakerThreshold(20));
    out.println(term.bold("Chaos") + ": " + calls + " calls, " + workers + " workers, " + concurrency
        + " in flight, a SIGKILL every " + killEvery.toMillis() + " ms" + (idempotent ? ", idempotent calls" : ""));
    out.flush();

    var tally = new CallTally();
    var kills = new AtomicInteger();
    var futures = new ArrayList<CompletableFuture<ToolResult>>();
    long started = System.nanoTime();
    Map<String, Object> statsAtEnd;
    try (var pit = Snakepit.start(config)) {
      var stop = new AtomicBoolean();
      var killer = Thread.ofPlatform().name("snakepit-chaos-killer").daemon().start(() -> killLoop(pit, stop, kills));
      var permits = new Semaphore(concurrency);
      var options = CallOptions.defaults().withTimeout(Duration.ofSeconds(30)).withIdempotent(idempotent);
      try {
        for (int i = 0; i < calls; i++) {
          permits.acquire();
          var future = i % 2 == 0
              ? pit.executeAsync("sleep", Map.of("ms", ThreadLocalRandom.current().nextInt(1, 20)), options)
              : pit.executeAsync("echo", Map.of("message", Map.of("call", i)), options);
          future.whenComplete((r, e) -> {
            permits.release();
            tally.record(e);
          });
          futures.add(future);
        }
        // Every call has a 30 s budget: give the last ones that plus a margin, then count what never answered.
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // Counted below as lost.
      } finally {
        stop.set(true);
        killer.join(5_000);
      }
      var stats = pit.stats();
      statsAtEnd = Map.of("crashes", stats.crashes(), "restarts", stats.restarts(), "workers", stats.workers());
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    futures.stream().filter(f -> !f.isDone()).forEach(f -> tally.recordUnanswered());
    var leaked = ResourceProbe.stillAlive(pids);

    out.println();
    out.println("  workers killed           " + kills.get() + " (pool saw " + statsAtEnd.get("crashes") + " crashes, "
        + statsAtEnd.get("restarts") + " restarts; " + pids.size() + " worker processes in all)");
    tally.print(out, term);
    out.println("  leaked processes         " + (leaked.isEmpty() ? term.green("0") : term.red(leaked.size() + " " + leaked)));
    out.println("  elapsed                  " + elapsedMs + " ms");
    out.flush();
    return tally.lost() == 0 && leaked.isEmpty() && tally.ok() + tally.typedFailures() == calls ? 0 : 1;
  }

  private int load(picocli.CommandLine commandLine, java.io.PrintWriter out, Terminal term) throws Exception {
    if (callers < 1 || workers < 1) {
      throw new picocli.CommandLine.ParameterException(commandLine, "--callers and --workers must be positive");
    }
    var pids = ConcurrentHashMap.<Long>newKeySet();
    var listener = new PoolEventListener() {
      @Override
      public void workerStarted(WorkerStarted event) {
        pids.add(event.pid());
      }
    };
    var config = PoolOptions.build(commandLine, pool.builder(commandLine, "load", workers).eventListener(listener)
        .workerConcurrency(Math.max(1, concurrency)).queueCapacity(Math.max(callers, 1)));
    out.println(term.bold("Load") + ": " + callers + " callers for " + duration.toSeconds() + " s, " + workers
        + " workers x " + concurrency + " calls each, random cancellations and short timeouts");
    out.flush();
    var run = new LoadRun(callers, duration);
    LoadRun.Result result;
    try (var pit = Snakepit.start(config)) {
      result = run.run(pit);
    }
    var leaked = ResourceProbe.stillAlive(pids);
    run.print(result, out, term);
    out.println("  leaked processes         " + (leaked.isEmpty() ? term.green("0") : term.red(leaked.size() + " " + leaked)));
    out.flush();
    return result.passed() && leaked.isEmpty() ? 0 : 1;
  }

  private int standalone(picocli.CommandLine commandLine, java.io.PrintWriter out, Terminal term) throws Exception {
    if (workers < 1 || concurrency < 1 || killEvery.isZero() || duration.isZero()) {
      throw new picocli.CommandLine.ParameterException(commandLine,
          "--workers, --concurrency, --kill-every and --duration must be positive");
    }
    if (pool.remote != null) {
      throw new picocli.CommandLine.ParameterException(commandLine,
          "--standalone starts its own workers: leave out --remote (to test your own workers, use chaos without --standalone"
              + " against local ones, or RemoteNetworkFailureTest)");
    }
    // Twice as many slots as workers: a lost worker's slots move to the live ones (docs/remote.md).
    var plan = new RemoteChaosRun.Plan(workers, concurrency, duration, killEvery, partition);
    var python = pool.python != null ? pool.python : dev.snakepit.SnakepitConfig.builder().build().python();
    var run = new RemoteChaosRun(plan, python, pool.adapter, remote -> pool.builder(commandLine, "chaos-remote", 2 * workers)
        .remoteWorkers(remote).workerConcurrency(2).restartBackoff(Duration.ofMillis(20), Duration.ofSeconds(1))
        .breakerThreshold(100));
    return run.run(out, term);
  }

  private void killLoop(Snakepit pit, AtomicBoolean stop, AtomicInteger kills) {
    while (!stop.get()) {
      try {
        Thread.sleep(killEvery.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      var live = pit.workerPids();
      if (!live.isEmpty() && !stop.get()) {
        long pid = live.get(ThreadLocalRandom.current().nextInt(live.size()));
        ProcessHandle.of(pid).ifPresent(p -> {
          if (p.destroyForcibly()) {
            kills.incrementAndGet();
          }
        });
      }
    }
  }
}
