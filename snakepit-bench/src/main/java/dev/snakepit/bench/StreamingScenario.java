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
      var floor = context.track(GrpcFloor.start(context, 1, Transports.oursUsesUnixSockets()));
      started.add(floor);
      var socket = context.track(SocketFloor.start(context));
      started.add(socket);
      var contenders = List.of(
          new Contender("snakepit (iterator, async generator)", Report.Role.OURS, () -> check(ours.stream("chunks", count, CHUNK), count)),
          new Contender("snakepit (callback, async generator)", Report.Role.OURS, () -> check(ours.streamCallback("chunks", count, CHUNK), count)),
          new Contender("snakepit (iterator, sync generator)", Report.Role.OURS, () -> check(ours.stream("chunks_sync", syncCount, CHUNK), syncCount)),
          new Contender(floor.name(), Report.Role.FLOOR, () -> check(floor.stream(count, CHUNK), count)),
          new Contender(socket.name(), Report.Role.FLOOR, () -> check(socket.stream(count, CHUNK), count)));
      context.say("streaming: measuring " + budget.streamRounds() + " rounds");
      var samples = Scenario.interleave(contenders, 1, budget.streamRounds(), 1);
      for (int i = 0; i < contenders.size(); i++) {
        int chunks = i == 2 ? syncCount : count;
        double seconds = samples.get(i).percentile(50) / 1e9;
        report.rate(ID, caseName, contenders.get(i).name(), contenders.get(i).role(), chunks / seconds, "chunks/s",
            samples.get(i).size());
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
