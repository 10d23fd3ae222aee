package dev.snakepit.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** One benchmark scenario: starts what it compares, measures interleaved, reports, stops everything. */
interface Scenario {
  /** Short id for {@code --only} and the JSON. */
  String id();

  /** Runs the scenario and adds its rows to the report. */
  void run(BenchContext context, Report report) throws Exception;

  /**
   * Interleaved latency: every contender warms up, then each round runs every contender for
   * {@code callsPerRound} calls, in a rotated order, so drift (thermal, GC, noisy neighbours)
   * spreads over all of them.
   */
  static List<Samples> interleave(List<Contender> contenders, int warmup, int rounds, int callsPerRound) {
    var samples = new ArrayList<Samples>();
    for (var contender : contenders) {
      samples.add(new Samples());
      for (int i = 0; i < warmup; i++) {
        contender.runOnce();
      }
    }
    var order = new ArrayList<Integer>();
    for (int i = 0; i < contenders.size(); i++) {
      order.add(i);
    }
    for (int round = 0; round < rounds; round++) {
      for (int index : order) {
        contenders.get(index).measure(callsPerRound, samples.get(index));
      }
      Collections.rotate(order, 1);
    }
    return samples;
  }

  /** The scenario ids in run order. */
  static List<String> ids() {
    return List.of("latency", "throughput", "streaming", "payload", "startup", "callback", "memory");
  }
}
