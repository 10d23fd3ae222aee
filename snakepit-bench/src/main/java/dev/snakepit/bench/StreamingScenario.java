package dev.snakepit.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Scenario 3: chunks per second of a 100k-chunk stream of 32-byte chunks. Py4J has no streaming;
 * the floors are a bare gRPC server stream and length-prefixed frames on a Unix socket.
 */
final class StreamingScenario implements Scenario {
  static final String ID = "streaming";
  static final int CHUNK = 32;

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void run(BenchContext context, Report report) {
    var budget = context.budget;
    int count = budget.streamChunks();
    // A sync generator steps through the tool thread pool once per chunk: far slower, so fewer chunks.
    int syncCount = context.quick ? count / 10 : count / 2;
    var caseName = String.format("%,d chunks of %d B", count, CHUNK);
    report.section(ID, "3. Streaming (one stream, one worker)", Transports.floorName(),
        "chunks/s; ratios: rate / reference rate (higher is better). Py4J has no streaming API. The sync generator row"
            + " streams " + String.format("%,d", syncCount) + " chunks.");
    var started = new ArrayList<AutoCloseable>();
    try {
      context.say("streaming: starting Snakepit and floors");
      var ours = context.track(SnakepitPeer.start(context, "snakepit", 1, b -> b));
      started.add(ours);
      var oursGrpc = context.track(SnakepitPeer.start(context, SnakepitPeer.GRPC, 1, SnakepitPeer::grpc));
      started.add(oursGrpc);
      var floor = context.track(GrpcFloor.start(context, 1, Transports.floorLink()));
      started.add(floor);
      var socket = context.track(SocketFloor.start(context));
      started.add(socket);
      record Streamer(String name, Report.Role role, int count, java.util.function.IntToLongFunction stream) {}
      var streamers = List.of(
          new Streamer("snakepit (iterator, async generator)", Report.Role.OURS, count, n -> ours.stream("chunks", n, CHUNK)),
          new Streamer("snakepit (callback, async generator)", Report.Role.OURS, count, n -> ours.streamCallback("chunks", n, CHUNK)),
          new Streamer("snakepit (iterator, sync generator)", Report.Role.OURS, syncCount, n -> ours.stream("chunks_sync", n, CHUNK)),
          new Streamer(SnakepitPeer.GRPC, Report.Role.OURS, count, n -> oursGrpc.stream("chunks", n, CHUNK)),
          new Streamer(floor.name(), Report.Role.FLOOR, count, n -> floor.stream(n, CHUNK)),
          new Streamer(socket.name(), Report.Role.FLOOR, count, n -> socket.stream(n, CHUNK)));
      var contenders = new ArrayList<Contender>();
      for (var streamer : streamers) {
        // A tenth of the chunks warms each path up; then every round streams the full count.
        check(streamer.stream().applyAsLong(streamer.count() / 10), streamer.count() / 10);
        contenders.add(new Contender(streamer.name(), streamer.role(),
            () -> check(streamer.stream().applyAsLong(streamer.count()), streamer.count())));
      }
      context.say("streaming: measuring " + budget.streamRounds() + " rounds");
      var samples = Scenario.interleave(contenders, 0, budget.streamRounds(), 1);
      for (int i = 0; i < contenders.size(); i++) {
        double seconds = samples.get(i).percentile(50) / 1e9;
        report.rate(ID, caseName, contenders.get(i).name(), contenders.get(i).role(), streamers.get(i).count() / seconds,
            "chunks/s", samples.get(i).size());
      }
    } finally {
      started.reversed().forEach(context::close);
    }
  }

  private static void check(long received, long expected) {
    if (received != expected) {
      throw new IllegalStateException("expected " + expected + " chunks, got " + received);
    }
  }
}
