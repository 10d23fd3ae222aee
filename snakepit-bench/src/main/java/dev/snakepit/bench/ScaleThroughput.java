package dev.snakepit.bench;

import dev.snakepit.SnakepitConfig;

/** The throughput of a pool of 128 workers with 64 calls in flight (next to the 2-worker case). */
final class ScaleThroughput {
  static final String CASE = ThroughputScenario.caseName(ForkStartupCases.SCALE_WORKERS, 64);
  static final String CONTENDER = "snakepit";
  static final java.time.Duration SCALE_WARMUP = java.time.Duration.ofSeconds(2);

  private ScaleThroughput() {}

  static void run(BenchContext context, Report report) {
    context.say("throughput: " + CASE);
    var budget = context.budget;
    var peer = context.track(SnakepitPeer.start(context, CONTENDER, ForkStartupCases.SCALE_WORKERS,
        b -> b.adapter(SnakepitConfig.SHOWCASE_ADAPTER).startupTimeout(java.time.Duration.ofSeconds(120))));
    try {
      // Each of the 64 busy workers needs a few dozen calls before it runs at its steady pace (the
      // 2-worker case gets thousands per worker within its warm-up), so this case warms up longer.
      var warmup = budget.throughputWarmup().compareTo(SCALE_WARMUP) > 0 ? budget.throughputWarmup() : SCALE_WARMUP;
      var rates = new double[budget.throughputRounds()];
      for (int round = 0; round < rates.length; round++) {
        rates[round] = ClosedLoop.async((done, failed) -> peer.echoAsync(LatencyScenario.MESSAGE, done, failed), 64,
            round == 0 ? warmup : budget.throughputWarmup(), budget.throughputWindow());
      }
      report.rate(ThroughputScenario.ID, CASE, CONTENDER, Report.Role.OURS, Samples.median(rates), "calls/s", rates.length);
    } finally {
      context.close(peer);
    }
  }
}
