package dev.snakepit.cli;

import dev.snakepit.Affinity;
import dev.snakepit.CallOptions;
import dev.snakepit.RemoteWorkers;
import dev.snakepit.Session;
import dev.snakepit.SessionException;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.ToolResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * {@code snakepit chaos --standalone}: starts standalone workers on 127.0.0.1 as the pool's remote
 * workers, runs idempotent calls and sessions against them for a while, and meanwhile SIGKILLs a
 * random worker and restarts it on the same port (a new pod, a new incarnation) or, with
 * partitions, SIGSTOPs it for a while (a partition stand-in: alive, silent). Reports calls ok,
 * failed typed, lost, sessions that got WORKER_LOST, how fast the pool noticed, and leaked processes.
 */
final class RemoteChaosRun {
  /** Fast health checks, as in the network-failure test: a loss is noticed within ~1.4 s. */
  private static final Duration HEALTH_INTERVAL = Duration.ofMillis(200);
  private static final Duration HEALTH_TIMEOUT = Duration.ofMillis(500);
  private static final int HEALTH_FAILURES = 2;
  /** Longer than the health checks need to take a silent worker out, so that a partition is noticed. */
  private static final Duration PARTITION = Duration.ofSeconds(3);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  /** A call that has not answered this long after its own timeout never will: it is lost. */
  private static final Duration ANSWER_BOUND = CALL_TIMEOUT.plusSeconds(10);

  /** What to run: the count of workers and callers, how long, how often a fault, with partitions or not. */
  record Plan(int workers, int callers, Duration duration, Duration faultEvery, boolean partitions) {}

  private final Plan plan;
  private final Path python;
  private final String adapter;
  private final Function<RemoteWorkers, SnakepitConfig> config;
  private final Set<Long> pids = ConcurrentHashMap.newKeySet();
  private final CallTally idempotent = new CallTally();
  private final CallTally inSessions = new CallTally();
  private final AtomicInteger sessionsOpened = new AtomicInteger();
  private final AtomicInteger sessionsLost = new AtomicInteger();
  private final AtomicInteger kills = new AtomicInteger();
  private final AtomicInteger partitions = new AtomicInteger();
  private final AtomicReference<String> chaosFailure = new AtomicReference<>();
  private final LossNoticeClock clock = new LossNoticeClock();

  /**
   * @param config a config builder for these remote workers (the listener is added here)
   */
  RemoteChaosRun(Plan plan, Path python, String adapter, Function<RemoteWorkers, SnakepitConfig.Builder> config) {
    this.plan = plan;
    this.python = python;
    this.adapter = adapter;
    this.config = remote -> config.apply(remote).eventListener(clock).build();
  }

  /** Runs the plan, prints the report, returns the exit status (0: nothing lost, nothing leaked). */
  int run(PrintWriter out, Terminal term) throws Exception {
    var directory = Files.createTempDirectory("snakepit-chaos-", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    var tokenFile = directory.resolve("token");
    var token = new byte[16];
    new SecureRandom().nextBytes(token);
    Files.writeString(tokenFile, HexFormat.of().formatHex(token) + "\n");
    Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
    var workers = new AtomicReferenceArray<StandaloneWorkerProcess>(plan.workers());
    // Ctrl-C: the JVM runs shutdown hooks, not finally blocks; the workers are ours to stop.
    var onExit = Thread.ofPlatform().unstarted(() -> {
      pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
      deleteQuietly(directory);
    });
    Runtime.getRuntime().addShutdownHook(onExit);
    long started = System.nanoTime();
    try {
      var endpoints = new ArrayList<String>();
      for (int i = 0; i < plan.workers(); i++) {
        var worker = StandaloneWorkerProcess.start(python, adapter, tokenFile, directory, 0, pids);
        workers.set(i, worker);
        endpoints.add("127.0.0.1:" + worker.port());
      }
      out.println(term.bold("Chaos (standalone workers)") + ": " + plan.workers() + " workers on " + endpoints + ", "
          + plan.callers() + " idempotent callers and " + plan.workers() + " sessions for " + plan.duration().toSeconds()
          + " s, a fault every " + plan.faultEvery().toMillis() + " ms (SIGKILL and restart on the same port"
          + (plan.partitions() ? ", or SIGSTOP for " + PARTITION.toSeconds() + " s as a partition" : "") + ")");
      out.flush();
      var remote = RemoteWorkers.endpoints(endpoints.toArray(String[]::new)).tokenFile(tokenFile)
          .healthCheck(HEALTH_INTERVAL, HEALTH_TIMEOUT, HEALTH_FAILURES);
      try (var pit = Snakepit.start(config.apply(remote))) {
        long deadline = System.nanoTime() + plan.duration().toNanos();
        var callers = new ArrayList<Thread>();
        for (int i = 0; i < plan.callers(); i++) {
          callers.add(Thread.ofVirtual().name("chaos-caller-" + i).start(() -> idempotentCalls(pit, deadline)));
        }
        for (int i = 0; i < plan.workers(); i++) {
          int sessionCaller = i;
          callers.add(Thread.ofVirtual().name("chaos-session-" + i)
              .start(() -> sessionCalls(pit, sessionCaller, deadline)));
        }
        var chaos = Thread.ofPlatform().name("snakepit-chaos-remote").start(
            () -> faults(workers, tokenFile, directory, deadline));
        chaos.join();
        for (var caller : callers) {
          // Every call is bounded by ANSWER_BOUND, so a caller ends within that after the deadline.
          caller.join(ANSWER_BOUND.plusSeconds(5));
        }
      }
    } finally {
      stopAll(workers);
      Runtime.getRuntime().removeShutdownHook(onExit);
      deleteQuietly(directory);
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    var leaked = ResourceProbe.stillAlive(pids);
    int faults = kills.get() + partitions.get();
    out.println();
    out.println("  workers killed           " + kills.get() + " (each restarted on its port as a new incarnation)"
        + (plan.partitions() ? ", partitioned " + partitions.get() + " (SIGSTOP " + PARTITION.toSeconds()
            + " s, then SIGCONT)" : "") + "; " + pids.size() + " worker processes in all");
    // A restarted worker takes slots only as others are freed, so a worker without slots is lost unseen.
    out.println("  loss noticed             " + clock.noticed() + "/" + faults + " faults (by a slot bound to the worker), "
        + clock.summary());
    int lost = idempotent.lost() + inSessions.lost();
    out.println("  calls ok                 " + (idempotent.ok() + inSessions.ok()) + " (idempotent " + idempotent.ok()
        + ", in sessions " + inSessions.ok() + ")");
    out.println("  calls failed, typed      " + (idempotent.typedFailures() + inSessions.typedFailures())
        + " (idempotent " + idempotent.typedFailures() + " " + idempotent.typedByType() + ", in sessions "
        + inSessions.typedFailures() + " " + inSessions.typedByType() + ")");
    out.println("  calls lost               " + (lost == 0 ? term.green("0") : term.red(Integer.toString(lost)))
        + (lost == 0 ? "" : "  untyped: idempotent " + idempotent.untypedByType() + ", in sessions "
            + inSessions.untypedByType()));
    out.println("  sessions WORKER_LOST     " + sessionsLost.get() + " of " + sessionsOpened.get() + " sessions");
    out.println("  leaked processes         " + (leaked.isEmpty() ? term.green("0") : term.red(leaked.size() + " " + leaked)));
    if (chaosFailure.get() != null) {
      out.println("  chaos stopped early      " + term.red(chaosFailure.get()));
    }
    out.println("  elapsed                  " + elapsedMs + " ms");
    out.flush();
    return lost == 0 && leaked.isEmpty() && chaosFailure.get() == null ? 0 : 1;
  }

  private void idempotentCalls(Snakepit pit, long deadline) {
    var options = CallOptions.defaults().withTimeout(CALL_TIMEOUT).withIdempotent(true);
    for (int i = 0; System.nanoTime() < deadline; i++) {
      await(idempotent, i % 2 == 0
          ? pit.executeAsync("sleep", Map.of("ms", ThreadLocalRandom.current().nextInt(1, 20)), options)
          : pit.executeAsync("echo", Map.of("message", Map.of("call", i)), options));
    }
  }

  /** A strict session calling its counter; when its worker is lost it gets WORKER_LOST and opens a new one. */
  private void sessionCalls(Snakepit pit, int caller, long deadline) {
    var options = CallOptions.defaults().withTimeout(CALL_TIMEOUT);
    Session session = null;
    try {
      for (int generation = 0; System.nanoTime() < deadline; ) {
        if (session == null) {
          session = pit.session("chaos-" + caller + "-" + generation++, Affinity.STRICT_QUEUE);
          sessionsOpened.incrementAndGet();
        }
        var error = await(inSessions, session.executeAsync("session_counter", Map.of(), options));
        if (error instanceof SessionException lost && lost.reason() == SessionException.Reason.WORKER_LOST) {
          sessionsLost.incrementAndGet();
          session.close();
          session = null;
        }
      }
    } finally {
      if (session != null) {
        session.close();
      }
    }
  }

  /** Waits for the call, counts its outcome, and returns its error (null when it succeeded or never answered). */
  private static Throwable await(CallTally tally, CompletableFuture<ToolResult> call) {
    try {
      call.get(ANSWER_BOUND.toMillis(), TimeUnit.MILLISECONDS);
      tally.record(null);
      return null;
    } catch (TimeoutException e) {
      call.cancel(true);
      tally.recordUnanswered();
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      tally.recordUnanswered();
      return null;
    } catch (Exception e) {
      var cause = CallTally.unwrap(e);
      tally.record(cause);
      return cause;
    }
  }

  private void faults(AtomicReferenceArray<StandaloneWorkerProcess> workers, Path tokenFile, Path directory,
      long deadline) {
    try {
      for (int round = 1; ; round++) {
        Thread.sleep(plan.faultEvery().toMillis());
        if (System.nanoTime() >= deadline) {
          return;
        }
        int index = ThreadLocalRandom.current().nextInt(workers.length());
        var worker = workers.get(index);
        var endpoint = "127.0.0.1:" + worker.port();
        if (plan.partitions() && round % 2 == 0) {
          worker.pause();
          clock.faultAt(endpoint);
          partitions.incrementAndGet();
          Thread.sleep(PARTITION.toMillis());
          worker.resume();
        } else {
          worker.kill();
          clock.faultAt(endpoint);
          kills.incrementAndGet();
          workers.set(index, StandaloneWorkerProcess.start(python, adapter, tokenFile, directory, worker.port(), pids));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      chaosFailure.set(e.getMessage());
    }
  }

  private static void stopAll(AtomicReferenceArray<StandaloneWorkerProcess> workers) throws InterruptedException {
    for (int i = 0; i < workers.length(); i++) {
      var worker = workers.get(i);
      if (worker != null) {
        worker.stop();
      }
    }
  }

  private static void deleteQuietly(Path directory) {
    try (var files = Files.walk(directory)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // A temp directory left behind is harmless; the workers are what must not leak.
    }
  }
}
