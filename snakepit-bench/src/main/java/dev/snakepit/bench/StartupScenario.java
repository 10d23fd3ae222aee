package dev.snakepit.bench;

import dev.snakepit.Snakepit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Scenario 5: one worker from spawn to the first answered call, and eight workers started
 * concurrently until all are ready (each answered a call). Only starting is timed, not closing.
 * The floor is the bare gRPC server (interpreter + grpc import + bind + first call); the
 * interpreter alone is shown for scale.
 */
final class StartupScenario implements Scenario {
  static final String ID = "startup";
  static final String ONE = "1 worker -> first call";
  static final String EIGHT = "8 workers -> all ready";
  static final String INTERPRETER = "python interpreter alone";

  /** Starts something and returns the handle that stops it. */
  @FunctionalInterface
  private interface Starter {
    AutoCloseable start();
  }

  private record Entry(String name, Report.Role role, Starter starter) {}

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void run(BenchContext context, Report report) {
    var floorName = Transports.floorName();
    report.sectionInMillis(ID, "5. Start-up (spawn until answered; p50 and p99 over the rounds)", floorName,
        "ratios: time / reference time (lower is better). Closing is not timed.");
    for (var workers : List.of(1, 8)) {
      var caseName = workers == 1 ? ONE : EIGHT;
      var entries = List.of(
          new Entry("snakepit", Report.Role.OURS, () -> startOurs(context, workers)),
          new Entry(floorName, Report.Role.FLOOR, () -> GrpcFloor.start(context, workers, Transports.floorLink())),
          new Entry(Report.PY4J, Report.Role.PEER, () -> Py4jPeer.start(context, workers)),
          new Entry(INTERPRETER, Report.Role.FLOOR, () -> interpreters(context, workers)));
      int rounds = context.budget.startupRounds();
      context.say("startup: " + caseName + ", " + rounds + " rounds");
      var samples = new ArrayList<Samples>();
      for (var entry : entries) {
        samples.add(new Samples());
        context.close(entry.starter.start()); // warm the page cache and the JIT
      }
      var order = new ArrayList<Integer>();
      for (int i = 0; i < entries.size(); i++) {
        order.add(i);
      }
      for (int round = 0; round < rounds; round++) {
        for (int index : order) {
          long start = System.nanoTime();
          var started = entries.get(index).starter.start();
          samples.get(index).add(System.nanoTime() - start);
          context.close(started);
        }
        Collections.rotate(order, 1);
      }
      for (int i = 0; i < entries.size(); i++) {
        report.latency(ID, caseName, entries.get(i).name, entries.get(i).role, samples.get(i));
      }
    }
    ForkStartupCases.run(context, report);
  }

  private static AutoCloseable startOurs(BenchContext context, int workers) {
    var pit = context.track(Snakepit.start(SnakepitPeer.config(context, workers).build()));
    if (workers == 1) {
      pit.execute("echo", Map.of("message", LatencyScenario.MESSAGE));
    }
    return pit;
  }

  private static AutoCloseable interpreters(BenchContext context, int count) {
    var helpers = new ArrayList<HelperProcess>();
    for (int i = 0; i < count; i++) {
      helpers.add(HelperProcess.spawn("python", List.of(context.python.toString(), "-c", "print('READY 0', flush=True)"),
          Map.of(), context.newPath("python-", ".log")));
    }
    for (var helper : helpers) {
      helper.awaitReady(Duration.ofSeconds(30));
    }
    return () -> helpers.forEach(HelperProcess::close);
  }
}
