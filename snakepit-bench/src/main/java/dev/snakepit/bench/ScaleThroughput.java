package dev.snakepit.bench;

import dev.snakepit.SnakepitConfig;

/** The throughput of a pool of 128 workers with 64 calls in flight (next to the 2-worker case). */
final class ScaleThroughput {
  static final String CASE = ThroughputScenario.caseName(ForkStartupCases.SCALE_WORKERS, 64);
  static final String CONTENDER = "snakepit";

  private ScaleThroughput() {}

  static void run(BenchContext context, Report report) {
    context.say("throughput: " + CASE);
    var budget = context.budget;
    var peer = context.track(SnakepitPeer.start(context, CONTENDER, ForkStartupCases.SCALE_WORKERS,
        b -> b.adapter(SnakepitConfig.SHOWCASE_ADAPTER).startupTimeout(java.time.Duration.ofSeconds(120))));
    try {
      var rates = new double[budget.throughputRounds()];
      for (int round = 0; round < rates.length; round++) {
        rates[round] = ClosedLoop.async((done, failed) -> peer.echoAsync(LatencyScenario.MESSAGE, done, failed), 64,
            budget.throughputWarmup(), budget.throughputWindow());
      }
      report.rate(ThroughputScenario.ID, CASE, CONTENDER, Report.Role.OURS, Samples.median(rates), "calls/s", rates.length);
    } finally {
      context.close(peer);
    }
  }
}
