package dev.snakepit.bench;

import java.time.Duration;

/**
 * How much each scenario measures. {@code quick} keeps a whole run under two minutes on a 2-core
 * machine; the full budget is what docs/benchmarks.md reports.
 *
 * @param latencyWarmup calls per contender before measuring latency
 * @param latencyRounds interleaved rounds of latency measurement
 * @param latencyCallsPerRound calls per contender per round
 * @param throughputWarmup closed-loop warm-up per measurement window
 * @param throughputWindow closed-loop measurement window
 * @param throughputRounds interleaved rounds of throughput measurement
 * @param streamChunks chunks per stream
 * @param streamRounds interleaved rounds of streaming
 * @param payloadRounds interleaved rounds of payload transfers
 * @param payloadMaxOpsPerRound transfers per contender per round (fewer for big payloads)
 * @param startupRounds interleaved rounds of start-up measurement
 * @param callbackCalls measured callback round trips per contender per round
 */
record Budget(int latencyWarmup, int latencyRounds, int latencyCallsPerRound, Duration throughputWarmup,
    Duration throughputWindow, int throughputRounds, int streamChunks, int streamRounds, int payloadRounds,
    int payloadMaxOpsPerRound, int startupRounds, int callbackCalls) {

  static Budget quick() {
    return new Budget(1000, 5, 400, Duration.ofMillis(80), Duration.ofMillis(150), 2, 30_000, 1, 2, 3, 2, 500);
  }

  static Budget full() {
    return new Budget(5000, 10, 2000, Duration.ofMillis(300), Duration.ofMillis(1000), 3, 100_000, 5, 5, 10, 5, 2000);
  }
}
