package dev.snakepit.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Scenario 2: closed-loop throughput with 1, 8 and 64 calls in flight on pools of 1, 2 and 4
 * workers. Snakepit runs twice: at its default ({@code workerConcurrency=1}: a worker serves one
 * call at a time, the rest queue in the pool) and with {@code workerConcurrency=64} (calls are
 * pipelined to the workers, like the floor does).
 */
final class ThroughputScenario implements Scenario {
  static final String ID = "throughput";
  static final int[] WORKERS = {1, 2, 4};
  static final int[] IN_FLIGHT = {1, 8, 64};
  static final int HIGH_CONCURRENCY = 64;
  static final String OURS_DEFAULT = "snakepit (workerConcurrency=1, default)";
  static final String OURS_HIGH = "snakepit (workerConcurrency=" + HIGH_CONCURRENCY + ")";

  @Override
  public String id() {
    return ID;
  }

  static String caseName(int workers, int inFlight) {
    return workers + (workers == 1 ? " worker, " : " workers, ") + inFlight + " in flight";
  }

  @Override
  public void run(BenchContext context, Report report) {
    var floorName = Transports.floorName();
    report.section(ID, "2. Throughput, closed loop (32-byte echo)", floorName,
        "calls/s; ratios: rate / reference rate (higher is better). Snakepit through executeAsync and the floor through"
            + " grpc-java's asynchronous stub (each completion starts the next call); Py4J, which has no asynchronous API,"
            + " from one thread per call in flight.");
    var budget = context.budget;
    var bytes = LatencyScenario.MESSAGE.getBytes(StandardCharsets.UTF_8);
    for (int workers : WORKERS) {
      var started = new ArrayList<AutoCloseable>();
      try {
        context.say("throughput: starting pools of " + workers);
        var ours = context.track(SnakepitPeer.start(context, OURS_DEFAULT, workers, b -> b));
        started.add(ours);
        var oursHigh = context.track(SnakepitPeer.start(context, OURS_HIGH, workers,
            b -> b.workerConcurrency(HIGH_CONCURRENCY)));
        started.add(oursHigh);
        var floor = context.track(GrpcFloor.start(context, workers, Transports.floorLink()));
        started.add(floor);
        var py4j = context.track(Py4jPeer.start(context, workers));
        started.add(py4j);
        py4j.warmConnections(IN_FLIGHT[IN_FLIGHT.length - 1]);
        for (int inFlight : IN_FLIGHT) {
          var caseName = caseName(workers, inFlight);
          context.say("throughput: " + caseName);
          List<Runnable> measurements = new ArrayList<>();
          var rates = new double[4][budget.throughputRounds()];
          int[] round = {0};
          measurements.add(() -> rates[0][round[0]] = ClosedLoop.async(
              (done, failed) -> ours.echoAsync(LatencyScenario.MESSAGE, done, failed), inFlight,
              budget.throughputWarmup(), budget.throughputWindow()));
          measurements.add(() -> rates[1][round[0]] = ClosedLoop.async(
              (done, failed) -> oursHigh.echoAsync(LatencyScenario.MESSAGE, done, failed), inFlight,
              budget.throughputWarmup(), budget.throughputWindow()));
          measurements.add(() -> rates[2][round[0]] = ClosedLoop.async(
              (done, failed) -> floor.echoAsync(bytes, done, failed), inFlight,
              budget.throughputWarmup(), budget.throughputWindow()));
          measurements.add(() -> rates[3][round[0]] = ClosedLoop.threads(
              () -> py4j.worker().echo(LatencyScenario.MESSAGE), inFlight,
              budget.throughputWarmup(), budget.throughputWindow()));
          var order = new ArrayList<>(List.of(0, 1, 2, 3));
          for (round[0] = 0; round[0] < budget.throughputRounds(); round[0]++) {
            for (int index : order) {
              measurements.get(index).run();
            }
            Collections.rotate(order, 1);
          }
          int n = budget.throughputRounds();
          report.rate(ID, caseName, OURS_DEFAULT, Report.Role.OURS, Samples.median(rates[0]), "calls/s", n);
          report.rate(ID, caseName, OURS_HIGH, Report.Role.OURS, Samples.median(rates[1]), "calls/s", n);
          report.rate(ID, caseName, floor.name(), Report.Role.FLOOR, Samples.median(rates[2]), "calls/s", n);
          report.rate(ID, caseName, py4j.name(), Report.Role.PEER, Samples.median(rates[3]), "calls/s", n);
        }
      } finally {
        started.reversed().forEach(context::close);
      }
    }
    ScaleThroughput.run(context, report);
  }
}
