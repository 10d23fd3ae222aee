package dev.snakepit.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Scenario 1: small-call round trip, one call in flight, 32-byte echo. */
final class LatencyScenario implements Scenario {
  static final String ID = "latency";
  static final String CASE = "32-byte echo";
  static final String MESSAGE = "0123456789abcdef0123456789abcdef";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void run(BenchContext context, Report report) {
    var floorName = Transports.floorName();
    report.section(ID, "1. Small-call round trip (32-byte echo, one call in flight, one worker)", floorName,
        "ratios: p50 time / reference p50 time (lower is better)");
    var bytes = MESSAGE.getBytes(StandardCharsets.UTF_8);
    var direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    var started = new ArrayList<AutoCloseable>();
    try {
      context.say("latency: starting Snakepit, gRPC floors, socket floor, Py4J");
      var ours = context.track(SnakepitPeer.start(context, "snakepit", 1, b -> b));
      started.add(ours);
      var grpcUds = context.track(GrpcFloor.start(context, 1, GrpcFloor.Link.UDS));
      started.add(grpcUds);
      var grpcTcp = context.track(GrpcFloor.start(context, 1, GrpcFloor.Link.TCP));
      started.add(grpcTcp);
      var socket = context.track(SocketFloor.start(context));
      started.add(socket);
      var py4j = context.track(Py4jPeer.start(context, 1));
      started.add(py4j);
      var contenders = List.of(
          new Contender("snakepit", Report.Role.OURS, () -> ours.echo(MESSAGE)),
          new Contender("snakepit (sync tool in thread)", Report.Role.OURS, () -> ours.echoThreaded(MESSAGE)),
          new Contender(grpcUds.name(), Report.Role.FLOOR, () -> grpcUds.echo(bytes)),
          new Contender(grpcTcp.name(), Report.Role.FLOOR, () -> grpcTcp.echo(bytes)),
          new Contender(socket.name(), Report.Role.FLOOR, () -> socket.echo(direct)),
          new Contender(py4j.name(), Report.Role.PEER, () -> py4j.worker().echo(MESSAGE)));
      var budget = context.budget;
      context.say("latency: measuring " + contenders.size() + " contenders, " + budget.latencyRounds() + " rounds of "
          + budget.latencyCallsPerRound() + " calls");
      var samples = Scenario.interleave(contenders, budget.latencyWarmup(), budget.latencyRounds(), budget.latencyCallsPerRound());
      for (int i = 0; i < contenders.size(); i++) {
        report.latency(ID, CASE, contenders.get(i).name(), contenders.get(i).role(), samples.get(i));
      }
    } finally {
      started.reversed().forEach(context::close);
    }
  }
}
