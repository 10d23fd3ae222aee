package dev.snakepit.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The performance targets, checked against one run's report. */
final class Targets {
  /** One target: what was measured, the bound, and whether it holds. */
  record Result(String name, String measured, double value, String bound, Boolean met, String detail) {}

  private Targets() {}

  static List<Result> evaluate(Report report) {
    var results = new ArrayList<Result>();
    var floor = Transports.floorName();

    // 1. Pool overhead.
    var ours = report.find(LatencyScenario.ID, LatencyScenario.CASE, "snakepit");
    var grpc = report.find(LatencyScenario.ID, LatencyScenario.CASE, floor);
    double overhead = Report.ratio(ours, grpc);
    results.add(new Result("pool overhead: small-call p50 vs bare gRPC p50", "snakepit / " + floor, overhead, "<= 1.20",
        check(overhead, v -> v <= 1.2), ours == null || grpc == null ? "not measured"
            : String.format(Locale.ROOT, "%.0f us vs %.0f us", ours.p50Micros(), grpc.p50Micros())));

    // 2. Saturated throughput: both configurations, the target is met by either (named).
    var saturated = ThroughputScenario.caseName(2, 64);
    var floorRate = report.find(ThroughputScenario.ID, saturated, floor);
    var byDefault = Report.ratio(report.find(ThroughputScenario.ID, saturated, ThroughputScenario.OURS_DEFAULT), floorRate);
    var byHigh = Report.ratio(report.find(ThroughputScenario.ID, saturated, ThroughputScenario.OURS_HIGH), floorRate);
    double best = Double.isNaN(byHigh) || byDefault >= byHigh ? byDefault : byHigh;
    results.add(new Result("saturated throughput (2 workers, 64 in flight) vs bare gRPC", "snakepit / " + floor, best,
        ">= 0.85", check(best, v -> v >= 0.85), String.format(Locale.ROOT,
            "workerConcurrency=1 (default): %s; workerConcurrency=%d: %s", Report.times(byDefault),
            ThroughputScenario.HIGH_CONCURRENCY, Report.times(byHigh))));

    // 3. 64 MiB argument vs the raw socket.
    var up = PayloadScenario.caseName(64, "up");
    double upRatio = Report.ratio(report.find(PayloadScenario.ID, up, "snakepit"), report.find(PayloadScenario.ID, up, "raw UDS socket"));
    results.add(new Result("64 MiB bytes argument (one way) vs raw Unix socket", "snakepit / raw UDS socket", upRatio,
        ">= 0.35", check(upRatio, v -> v >= 0.35), rates(report, PayloadScenario.ID, up, "snakepit", "raw UDS socket")));

    // 4. 16 MiB echo vs Py4J.
    var echo = PayloadScenario.caseName(16, "echo");
    double echoRatio = Report.ratio(report.find(PayloadScenario.ID, echo, "snakepit"), report.find(PayloadScenario.ID, echo, Report.PY4J));
    results.add(new Result("16 MiB echo vs Py4J", "snakepit / Py4J", echoRatio, ">= 10", check(echoRatio, v -> v >= 10),
        rates(report, PayloadScenario.ID, echo, "snakepit", Report.PY4J)));

    // 5. Nowhere slower than Py4J by more than the small-call gap.
    var py4j = report.find(LatencyScenario.ID, LatencyScenario.CASE, Report.PY4J);
    double gap = Math.max(1.0, Report.ratio(ours, py4j));
    double worst = Double.NaN;
    String worstCase = "not measured";
    var beyond = new ArrayList<String>();
    for (var entry : bestOursPerCase(report).entrySet()) {
      var row = entry.getValue();
      if (row.scenario().equals(LatencyScenario.ID)) {
        continue; // defines the gap
      }
      var peer = report.find(row.scenario(), row.caseName(), Report.PY4J);
      if (peer == null) {
        continue;
      }
      double ratio = Report.ratio(row, peer);
      double slowdown = row.kind() == Report.Kind.LATENCY ? ratio : 1 / ratio;
      if (Double.isNaN(worst) || slowdown > worst) {
        worst = slowdown;
        worstCase = row.scenario() + " / " + row.caseName() + " (" + row.contender() + ")";
      }
      if (slowdown > gap) {
        beyond.add(row.scenario() + " / " + row.caseName() + String.format(Locale.ROOT, " %.2fx", slowdown));
      }
    }
    double finalWorst = worst;
    results.add(new Result("no scenario slower than Py4J by more than the small-call gap",
        "worst slowdown vs Py4J (best snakepit configuration per case)", worst,
        String.format(Locale.ROOT, "<= %.2f (small-call gap)", gap), check(finalWorst, v -> v <= gap),
        "worst: " + worstCase + (beyond.isEmpty() ? "" : "; beyond the gap: " + String.join(", ", beyond))));
    ForkTargets.evaluate(report, results);
    return results;
  }

  private static Map<String, Report.Row> bestOursPerCase(Report report) {
    var best = new LinkedHashMap<String, Report.Row>();
    for (var row : report.rows()) {
      if (row.role() != Report.Role.OURS || row.kind() == Report.Kind.PENDING) {
        continue;
      }
      var key = row.scenario() + "\u0000" + row.caseName();
      var current = best.get(key);
      boolean better = current == null || (row.kind() == Report.Kind.LATENCY
          ? row.p50Micros() < current.p50Micros() : row.rate() > current.rate());
      if (better) {
        best.put(key, row);
      }
    }
    return best;
  }

  private static String rates(Report report, String scenario, String caseName, String a, String b) {
    var ra = report.find(scenario, caseName, a);
    var rb = report.find(scenario, caseName, b);
    if (ra == null || rb == null) {
      return "not measured";
    }
    return String.format(Locale.ROOT, "%s %s vs %s %s", Report.number(ra.rate()), ra.unit(), Report.number(rb.rate()), rb.unit());
  }

  private static Boolean check(double value, java.util.function.DoublePredicate predicate) {
    return Double.isNaN(value) ? null : predicate.test(value);
  }

  static void print(List<Result> results, PrintWriter out) {
    out.println();
    out.println("Targets");
    for (var result : results) {
      var verdict = result.met() == null ? "n/a " : result.met() ? "MET " : "MISS";
      out.printf(Locale.ROOT, "  [%s] %-62s %8s (%s)  %s%n", verdict, result.name(), Report.times(result.value()),
          result.bound(), result.detail());
    }
  }
}
