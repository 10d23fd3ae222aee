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
  static final String NUMPY_CASE = "sync numpy tool";
  static final java.util.List<Double> NUMPY_INPUT = java.util.List.of(0.5, -1.25, 2.0, 0.75);

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
      var oursGrpc = context.track(SnakepitPeer.start(context, SnakepitPeer.GRPC, 1, SnakepitPeer::grpc));
      started.add(oursGrpc);
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
          new Contender(SnakepitPeer.GRPC, Report.Role.OURS, () -> oursGrpc.echo(MESSAGE)),
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
      // A real model call: a plain sync tool (default threading) around numpy, the same function behind Py4J.
      long expected = ours.argmax(NUMPY_INPUT);
      var numpy = List.of(
          new Contender("snakepit", Report.Role.OURS, () -> check(ours.argmax(NUMPY_INPUT), expected)),
          new Contender(SnakepitPeer.GRPC, Report.Role.OURS, () -> check(oursGrpc.argmax(NUMPY_INPUT), expected)),
          new Contender(py4j.name(), Report.Role.PEER, () -> check(py4j.worker().argmax(NUMPY_INPUT.get(0),
              NUMPY_INPUT.get(1), NUMPY_INPUT.get(2), NUMPY_INPUT.get(3)), expected)));
      context.say("latency: " + NUMPY_CASE);
      var numpySamples = Scenario.interleave(numpy, budget.latencyWarmup(), budget.latencyRounds(), budget.latencyCallsPerRound());
      for (int i = 0; i < numpy.size(); i++) {
        report.latency(ID, NUMPY_CASE, numpy.get(i).name(), numpy.get(i).role(), numpySamples.get(i));
      }
    } finally {
      started.reversed().forEach(context::close);
    }
  }

  private static void check(long actual, long expected) {
    if (actual != expected) {
      throw new IllegalStateException("argmax returned " + actual + ", expected " + expected);
    }
  }
}
