package dev.snakepit.bench;

import java.util.ArrayList;

/**
 * Scenario 6: Java calls a Python tool that calls a Java host tool and returns its answer
 * (32-byte echo both ways), end to end, one call in flight.
 */
final class CallbackScenario implements Scenario {
  static final String ID = "callback";
  static final String CASE = "Java -> Python -> Java -> back";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void run(BenchContext context, Report report) {
    report.section(ID, "6. Host-tool callback (32-byte echo, one call in flight)", null,
        "ratios: p50 time / reference p50 time (lower is better)");
    var started = new ArrayList<AutoCloseable>();
    try {
      context.say("callback: starting Py4J");
      var py4j = context.track(Py4jPeer.start(context, 1));
      started.add(py4j);
      var contenders = new ArrayList<Contender>();
      context.say("callback: starting Snakepit with host tool " + HostToolBench.HOST_TOOL);
      var ours = context.track(HostToolBench.start(context));
      started.add(ours);
      contenders.add(new Contender("snakepit", Report.Role.OURS, ours::call));
      var oursGrpc = context.track(HostToolBench.start(context, SnakepitPeer.GRPC, SnakepitPeer::grpc));
      started.add(oursGrpc);
      contenders.add(new Contender(SnakepitPeer.GRPC, Report.Role.OURS, oursGrpc::call));
      contenders.add(new Contender(Report.PY4J, Report.Role.PEER, () -> py4j.worker().callHost(LatencyScenario.MESSAGE)));
      var budget = context.budget;
      var samples = Scenario.interleave(contenders, budget.latencyWarmup() / 2, budget.latencyRounds(), budget.callbackCalls() / budget.latencyRounds());
      for (int i = 0; i < contenders.size(); i++) {
        report.latency(ID, CASE, contenders.get(i).name(), contenders.get(i).role(), samples.get(i));
      }
    } finally {
      started.reversed().forEach(context::close);
    }
  }
}
