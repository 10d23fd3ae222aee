package dev.snakepit.internal.pool;

import dev.snakepit.SessionDirectory;
import dev.snakepit.internal.process.WorkerHandle;
import dev.snakepit.internal.transport.ChunkListener;
import dev.snakepit.internal.transport.StreamCall;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.WorkerStatus;
import dev.snakepit.internal.transport.WorkerTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** In-memory stand-ins for a worker's process and transport. */
final class Fakes {
  private Fakes() {}

  /** A process that lives until the test ends it. */
  static final class Process implements WorkerHandle {
    final long pid;
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    volatile long rss = 10 * 1024 * 1024;
    volatile boolean killed;
    /** What {@link #dumpStacks} answers, and how often it was asked. */
    volatile String stacks;
    volatile int stackDumps;
    volatile String oomKillEvidence;
    /** The remote worker it stands for, or null for a local process. */
    volatile SessionDirectory.WorkerIncarnation remote;

    Process(long pid) {
      this.pid = pid;
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit;
    }

    @Override
    public void kill() {
      killed = true;
      exit.complete(137);
    }

    @Override
    public void stop(Duration grace) {
      exit.complete(0);
    }

    @Override
    public String stderrTail() {
      return "fake stderr";
    }

    @Override
    public String dumpStacks(Duration wait) {
      stackDumps++;
      return stacks;
    }

    @Override
    public String oomKillEvidence() {
      return oomKillEvidence;
    }

    @Override
    public long residentMemory() {
      return rss;
    }

    @Override
    public void awaitPumps() {}

    @Override
    public SessionDirectory.WorkerIncarnation remoteIncarnation() {
      return remote;
    }
  }

  /** A transport whose calls the test completes (or that answers at once with {@code result}). */
  static final class Transport implements WorkerTransport {
    final List<CompletableFuture<ToolResponse>> calls = new CopyOnWriteArrayList<>();
    volatile String result;
    volatile WorkerStatus status = new WorkerStatus(0, 0);
    volatile RuntimeException pingFailure;
    volatile boolean closed;

    @Override
    public CompletableFuture<WorkerStatus> ping(Duration timeout) {
      return pingFailure != null ? CompletableFuture.failedFuture(pingFailure) : CompletableFuture.completedFuture(status);
    }

    @Override
    public CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout) {
      if (result != null) {
        return CompletableFuture.completedFuture(ok(result));
      }
      var call = new CompletableFuture<ToolResponse>();
      calls.add(call);
      return call;
    }

    @Override
    public StreamCall stream(ToolRequest request, Duration timeout, int initialRequest, ChunkListener listener) {
      throw new UnsupportedOperationException("not used by these tests");
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  static ToolResponse ok(String json) {
    return new ToolResponse(true, json.getBytes(StandardCharsets.UTF_8), null, null, Map.of(), 1);
  }

  static PooledWorker worker(int slot) {
    return new PooledWorker(slot, 1, "w" + (slot + 1), new Process(100 + slot), new Transport(), Long.MAX_VALUE);
  }

  /** A pool slot on the remote worker {@code endpoint} in incarnation {@code incarnation}. */
  static PooledWorker remoteWorker(int slot, String endpoint, String incarnation) {
    var process = new Process(-1);
    process.remote = new SessionDirectory.WorkerIncarnation(endpoint, incarnation);
    return new PooledWorker(slot, 1, "w" + (slot + 1), process, new Transport(), Long.MAX_VALUE);
  }
}
