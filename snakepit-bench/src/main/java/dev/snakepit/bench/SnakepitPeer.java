package dev.snakepit.bench;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.ToolResult;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** Snakepit itself, running {@code snakepit_bench.adapter.BenchAdapter} through the public API only. */
final class SnakepitPeer implements AutoCloseable {
  static final String ADAPTER = "snakepit_bench.adapter.BenchAdapter";
  /** The contender name of a pool forced onto the gRPC transport (the default one uses the lane). */
  static final String GRPC = "snakepit (gRPC)";

  /** Forces the gRPC transport. */
  static SnakepitConfig.Builder grpc(SnakepitConfig.Builder builder) {
    return builder.transport(dev.snakepit.Transport.GRPC);
  }

  private final BenchContext context;
  private final Snakepit pit;
  private final String name;

  private SnakepitPeer(BenchContext context, Snakepit pit, String name) {
    this.context = context;
    this.pit = pit;
    this.name = name;
  }

  /** The pool configuration every scenario starts from: the bench adapter, generous time-outs. */
  static SnakepitConfig.Builder config(BenchContext context, int workers) {
    return SnakepitConfig.builder()
        .poolName("bench")
        .python(context.python)
        .adapter(ADAPTER)
        .addPythonPath(context.helperRoot)
        .workers(workers)
        .callTimeout(Duration.ofSeconds(120))
        .startupTimeout(Duration.ofSeconds(60))
        .shutdownGrace(Duration.ofSeconds(2));
  }

  static SnakepitPeer start(BenchContext context, String name, int workers, UnaryOperator<SnakepitConfig.Builder> tweak) {
    var pit = context.track(Snakepit.start(tweak.apply(config(context, workers)).build()));
    var peer = new SnakepitPeer(context, pit, name);
    peer.warmEveryWorker(workers);
    return peer;
  }

  /**
   * One call on every worker before anything is measured: a worker's first call pays one-time costs
   * (first use of the call path, copy-on-write faults in a forked worker) that belong to the startup
   * scenario. Sequential calls would all go to the one hot worker the pool prefers; calls in flight
   * at once spread over the least busy, one per worker, until every worker has answered.
   */
  private void warmEveryWorker(int workers) {
    var warmed = new java.util.HashSet<String>();
    for (int round = 0; round < 10 && warmed.size() < workers; round++) {
      var calls = new java.util.ArrayList<java.util.concurrent.CompletableFuture<dev.snakepit.ToolResult>>();
      for (int i = 0; i < workers; i++) {
        calls.add(pit.executeAsync("echo", Map.of("message", "warm-up")));
      }
      calls.forEach(call -> warmed.add(call.join().workerId()));
    }
  }

  String name() {
    return name;
  }

  Snakepit pit() {
    return pit;
  }

  Object echo(String message) {
    return pit.execute("echo", Map.of("message", message));
  }

  /** The "sync numpy tool": argmax of a small matrix times {@code x}. */
  long argmax(java.util.List<Double> x) {
    return pit.execute("argmax", Map.of("x", x)).asLong();
  }

  Object echoThreaded(String message) {
    return pit.execute("echo_threaded", Map.of("message", message));
  }

  /** Starts an echo through the asynchronous API; the callbacks run on a library callback thread. */
  void echoAsync(String message, Runnable done, Consumer<Throwable> failed) {
    pit.executeAsync("echo", Map.of("message", message)).whenComplete((result, error) -> {
      if (error != null) {
        failed.accept(error);
      } else {
        done.run();
      }
    });
  }

  long up(byte[] data) {
    return pit.execute("sink", Map.of("data", data)).asLong();
  }

  ByteBuffer down(int size) {
    return pit.execute("source", Map.of("size", size)).byteBuffer();
  }

  ByteBuffer echoBytes(byte[] data) {
    return pit.execute("echo_bytes", Map.of("data", data)).byteBuffer();
  }

  /** Streams {@code count} chunks through the iterator API; returns how many data chunks arrived. */
  long stream(String tool, int count, int size) {
    long n = 0;
    try (var chunks = pit.stream(tool, Map.of("count", count, "size", size))) {
      while (chunks.hasNext()) {
        if (!chunks.next().isEmpty()) {
          n++;
        }
      }
    }
    return n;
  }

  /** Streams through the callback API. */
  long streamCallback(String tool, int count, int size) {
    var received = new long[1];
    pit.stream(tool, Map.of("count", count, "size", size), dev.snakepit.CallOptions.defaults(), chunk -> {
      if (!chunk.isEmpty()) {
        received[0]++;
      }
    }).join();
    return received[0];
  }

  ToolResult execute(String tool, Map<String, ?> arguments) {
    return pit.execute(tool, arguments);
  }

  @Override
  public void close() {
    context.close(pit);
  }

  @Override
  public String toString() {
    return name;
  }
}
