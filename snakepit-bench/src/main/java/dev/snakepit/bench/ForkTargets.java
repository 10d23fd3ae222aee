package dev.snakepit.bench;

import java.util.List;
import java.util.Locale;

/** The targets of the fork server and of pools at scale, from the same run's report. */
final class ForkTargets {
  private ForkTargets() {}

  static void evaluate(Report report, List<Targets.Result> results) {
    var startup = StartupScenario.ID;
    var fork = ForkStartupCases.FORK;
    var spawn = ForkStartupCases.SPAWN;

    var eight = report.find(startup, StartupScenario.EIGHT, "snakepit");
    var eightPy4j = report.find(startup, StartupScenario.EIGHT, Report.PY4J);
    results.add(at("8 workers -> all ready (default mode) vs Py4J", "snakepit / Py4J", eight, eightPy4j, 0.8));

    results.add(at("heavy adapter: 8 forked workers vs 1 heavy worker spawned", fork + " 8 / " + spawn + " 1",
        report.find(startup, ForkStartupCases.HEAVY_EIGHT, fork), report.find(startup, ForkStartupCases.HEAVY_ONE, spawn), 1.5));

    results.add(at("replacement after SIGKILL (fork) vs bare interpreter start", fork + " / " + StartupScenario.INTERPRETER,
        report.find(startup, ForkStartupCases.REPLACEMENT, fork),
        report.find(startup, StartupScenario.ONE, StartupScenario.INTERPRETER), 5));

    results.add(at("heavy adapter: total PSS, fork vs spawn", fork + " / " + spawn,
        report.find(MemoryScenario.ID, MemoryScenario.HEAVY_EIGHT, fork),
        report.find(MemoryScenario.ID, MemoryScenario.HEAVY_EIGHT, spawn), 0.6));

    results.add(at("128 workers -> all ready, fork vs spawn", fork + " / " + spawn,
        report.find(startup, ForkStartupCases.SCALE, fork), report.find(startup, ForkStartupCases.SCALE, spawn), 0.25));

    results.add(at("128 workers: total PSS, fork vs spawn", fork + " / " + spawn,
        report.find(MemoryScenario.ID, MemoryScenario.SCALE, fork), report.find(MemoryScenario.ID, MemoryScenario.SCALE, spawn),
        0.4));

    var two = ThroughputScenario.caseName(2, 64);
    var twoRow = report.find(ThroughputScenario.ID, two, "snakepit");
    if (twoRow == null) {
      twoRow = report.find(ThroughputScenario.ID, two, ThroughputScenario.OURS_DEFAULT);
    }
    var scaleRow = report.find(ThroughputScenario.ID, ScaleThroughput.CASE, ScaleThroughput.CONTENDER);
    double ratio = Report.ratio(scaleRow, twoRow);
    results.add(new Targets.Result("throughput: 128 workers vs 2 workers (64 in flight)", "128 / 2 workers", ratio,
        ">= 0.80", Double.isNaN(ratio) ? null : ratio >= 0.8, scaleRow == null || twoRow == null ? "not measured"
            : String.format(Locale.ROOT, "%s vs %s calls/s", Report.number(scaleRow.rate()), Report.number(twoRow.rate()))));
  }

  /** A lower-is-better target: {@code row / reference <= bound}. */
  private static Targets.Result at(String name, String measured, Report.Row row, Report.Row reference, double bound) {
    double ratio = Report.ratio(row, reference);
    String detail = row == null || reference == null ? "not measured" : describe(row) + " vs " + describe(reference);
    return new Targets.Result(name, measured, ratio, String.format(Locale.ROOT, "<= %.2f", bound),
        Double.isNaN(ratio) ? null : ratio <= bound, detail);
  }

  private static String describe(Report.Row row) {
    return row.kind() == Report.Kind.MEMORY
        ? String.format(Locale.ROOT, "%.0f MiB", row.rate() / (1024 * 1024))
        : String.format(Locale.ROOT, "%.1f ms", row.p50Micros() / 1000);
  }
}
