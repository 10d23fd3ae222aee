package dev.snakepit.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenario 4: one bytes argument up (the tool returns its size), one bytes result down, and an
 * echo, at 1, 16 and 64 MiB. Rates are payload bytes per second of one call (an echo moves every
 * byte twice). The ceiling is one in-memory copy of the payload in Java; the floor is the raw Unix
 * socket. Py4J runs up to 16 MiB (it base64-encodes bytes in its text protocol). A second Snakepit
 * pool runs with the shared-memory hand-off and the malloc settings turned off, to show what they buy.
 */
final class PayloadScenario implements Scenario {
  static final String ID = "payload";
  static final int MIB = 1024 * 1024;
  static final int[] SIZES = {1, 16, 64};
  static final int PY4J_MAX_MIB = 16;
  static final String MEMCPY = "memory copy (Java arraycopy)";
  static final String OURS_UNTUNED = "snakepit, untuned (no shm, no malloc)";

  @Override
  public String id() {
    return ID;
  }

  static String caseName(int mib, String mode) {
    return mib + " MiB " + mode;
  }

  @Override
  public void run(BenchContext context, Report report) {
    var floor = "raw UDS socket";
    report.section(ID, "4. Payloads (bytes, one call in flight, one worker)", floor,
        "MB/s (10^6 bytes of payload per second); ratios: rate / reference rate (higher is better)");
    var started = new ArrayList<AutoCloseable>();
    try {
      context.say("payload: starting Snakepit, floors, Py4J");
      var ours = context.track(SnakepitPeer.start(context, "snakepit", 1, b -> b));
      started.add(ours);
      // An empty SNAKEPIT_SHM_DIR (set after the transport's) makes the worker decline the hand-off.
      var untuned = context.track(SnakepitPeer.start(context, OURS_UNTUNED, 1,
          b -> b.mallocTuning(false).workerEnvironment("SNAKEPIT_SHM_DIR", "")));
      started.add(untuned);
      var grpc = context.track(GrpcFloor.start(context, 1, Transports.floorLink()));
      started.add(grpc);
      var socket = context.track(SocketFloor.start(context));
      started.add(socket);
      var py4j = context.track(Py4jPeer.start(context, 1));
      started.add(py4j);
      var budget = context.budget;
      for (int mib : SIZES) {
        int size = mib * MIB;
        var data = new byte[size];
        for (int i = 0; i < size; i += 4096) {
          data[i] = (byte) i;
        }
        var direct = ByteBuffer.allocateDirect(size);
        direct.put(0, data).clear();
        var copy = new byte[size];
        var contenders = new ArrayList<Contender>();
        var cases = new ArrayList<String>();
        add(contenders, cases, caseName(mib, "up"), new Contender("snakepit", Report.Role.OURS, () -> expect(ours.up(data), size)));
        add(contenders, cases, caseName(mib, "up"), new Contender(OURS_UNTUNED, Report.Role.OURS, () -> expect(untuned.up(data), size)));
        add(contenders, cases, caseName(mib, "up"), new Contender(grpc.name(), Report.Role.FLOOR, () -> expect(grpc.up(data), size)));
        add(contenders, cases, caseName(mib, "up"), new Contender(socket.name(), Report.Role.FLOOR, () -> expect(socket.up(direct.duplicate()), size)));
        add(contenders, cases, caseName(mib, "down"), new Contender("snakepit", Report.Role.OURS, () -> expect(ours.down(size).remaining(), size)));
        add(contenders, cases, caseName(mib, "down"), new Contender(OURS_UNTUNED, Report.Role.OURS, () -> expect(untuned.down(size).remaining(), size)));
        add(contenders, cases, caseName(mib, "down"), new Contender(grpc.name(), Report.Role.FLOOR, () -> expect(grpc.down(size).length, size)));
        add(contenders, cases, caseName(mib, "down"), new Contender(socket.name(), Report.Role.FLOOR, () -> expect(socket.down(size).remaining(), size)));
        add(contenders, cases, caseName(mib, "echo"), new Contender("snakepit", Report.Role.OURS, () -> expect(ours.echoBytes(data).remaining(), size)));
        add(contenders, cases, caseName(mib, "echo"), new Contender(OURS_UNTUNED, Report.Role.OURS, () -> expect(untuned.echoBytes(data).remaining(), size)));
        add(contenders, cases, caseName(mib, "echo"), new Contender(grpc.name(), Report.Role.FLOOR, () -> expect(grpc.echo(data).length, size)));
        add(contenders, cases, caseName(mib, "echo"), new Contender(socket.name(), Report.Role.FLOOR, () -> expect(socket.echo(direct.duplicate()).remaining(), size)));
        if (mib <= PY4J_MAX_MIB) {
          add(contenders, cases, caseName(mib, "up"), new Contender(Report.PY4J, Report.Role.PEER, () -> expect(py4j.worker().sink(data), size)));
          add(contenders, cases, caseName(mib, "down"), new Contender(Report.PY4J, Report.Role.PEER, () -> expect(py4j.worker().source(size).length, size)));
          add(contenders, cases, caseName(mib, "echo"), new Contender(Report.PY4J, Report.Role.PEER, () -> expect(py4j.worker().echoBytes(data).length, size)));
        }
        for (var mode : List.of("up", "down", "echo")) {
          add(contenders, cases, caseName(mib, mode), new Contender(MEMCPY, Report.Role.CEILING, () -> System.arraycopy(data, 0, copy, 0, size)));
        }
        int ops = Math.max(1, Math.min(budget.payloadMaxOpsPerRound(), 32 / mib));
        context.say("payload: " + mib + " MiB, " + budget.payloadRounds() + " rounds of " + ops + " transfers per contender");
        var samples = Scenario.interleave(contenders, mib >= 16 ? 1 : 3, budget.payloadRounds(), ops);
        for (int i = 0; i < contenders.size(); i++) {
          double seconds = samples.get(i).percentile(50) / 1e9;
          report.rate(ID, cases.get(i), contenders.get(i).name(), contenders.get(i).role(), size / seconds / 1e6, "MB/s",
              samples.get(i).size());
        }
      }
    } finally {
      started.reversed().forEach(context::close);
    }
  }

  private static void add(List<Contender> contenders, List<String> cases, String caseName, Contender contender) {
    contenders.add(contender);
    cases.add(caseName);
  }

  private static void expect(long actual, long expected) {
    if (actual != expected) {
      throw new IllegalStateException("expected " + expected + " bytes, got " + actual);
    }
  }
}
