package dev.snakepit.internal.transport.lane;

import dev.snakepit.internal.transport.ChunkListener;
import dev.snakepit.internal.transport.StreamCall;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.WorkerStatus;
import dev.snakepit.internal.transport.WorkerTransport;
import dev.snakepit.internal.transport.grpc.SharedMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * One worker's lane: a Unix-domain socket carrying frames both ways (docs/lane.md). This class
 * starts calls and routes incoming frames; {@link LaneReadRole} decides which thread reads,
 * {@link LaneWriter} writes, {@link LaneHostServer} answers the worker's host calls.
 */
final class LaneWorkerTransport implements WorkerTransport {
  private final String workerId;
  private final LaneSocket socket;
  private final LaneCallTable table = new LaneCallTable();
  private final LaneWriter writer;
  private final LaneCallContext context;
  private final LaneHostServer hostServer;
  private final LaneReadRole readRole;
  /** Set once the pool listens for telemetry ({@link #streamTelemetry}); until then the worker sends none. */
  private volatile LaneTelemetry telemetry;

  LaneWorkerTransport(SocketChannel channel, String workerId, int maxMessageSize, SharedMemory sharedMemory,
      boolean workerTakesSharedMemory, LaneHostCalls hostCalls, String poolName, long spinNanos) throws IOException {
    this.workerId = workerId;
    this.socket = new LaneSocket(channel, workerId, reason -> failAll());
    this.writer = new LaneWriter(socket, workerId, maxMessageSize, sharedMemory, workerTakesSharedMemory);
    this.context = new LaneCallContext(socket, table, writer, sharedMemory, maxMessageSize, workerId);
    this.hostServer = new LaneHostServer(socket, writer, hostCalls, workerId);
    this.readRole = new LaneReadRole(socket, table, writer, this::dispatch, workerId, maxMessageSize, spinNanos,
        "snakepit-" + poolName + "-lane-" + workerId);
    hostServer.readBy(readRole);
    readRole.start();
  }

  @Override
  public CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout) {
    return execute(request, timeout, false);
  }

  @Override
  public CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout, boolean callerWaits) {
    int id = table.nextId();
    var call = new LaneUnaryCall(context, id, request.toolName(), timeout.toNanos(), callerWaits);
    if (socket.closed()) {
      call.completeExceptionally(socket.connectionLost());
      return call;
    }
    table.add(id, call);
    try {
      writer.writeCall(LaneFrames.CALL, id, request, timeout, 0, call);
    } catch (RuntimeException e) {
      call.fail(e);
      return call;
    }
    if (!callerWaits) {
      readRole.needReader();
    }
    return call;
  }

  @Override
  public CompletableFuture<WorkerStatus> ping(Duration timeout) {
    int id = table.nextId();
    var ping = new LanePing(table, id, System.nanoTime() + timeout.toNanos());
    if (socket.closed()) {
      ping.future.completeExceptionally(socket.connectionLost());
      return ping.future;
    }
    table.add(id, ping);
    try {
      writer.writeFrame(LaneFrames.PING, 0, id, null);
    } catch (RuntimeException e) {
      ping.fail(e);
    }
    readRole.needReader();
    return ping.future;
  }

  @Override
  public StreamCall stream(ToolRequest request, Duration timeout, int initialRequest, ChunkListener listener) {
    int id = table.nextId();
    var call = new LaneStreamCall(context, id, request.toolName(), System.nanoTime() + timeout.toNanos(), listener);
    listener.onStart(call);
    if (socket.closed()) {
      listener.onError(socket.connectionLost());
      return call;
    }
    table.add(id, call);
    try {
      writer.writeCall(LaneFrames.STREAM, id, request, timeout, initialRequest, null);
    } catch (RuntimeException e) {
      call.fail(e);
      return call;
    }
    readRole.needReader();
    return call;
  }

  @Override
  public void drive(Future<?> until, long deadlineNanos) {
    readRole.drive(until, deadlineNanos);
  }

  /** Routes one frame from the worker, on whichever thread holds the read role. */
  private void dispatch(byte type, int flags, int callId, ByteBuffer payload) {
    switch (type) {
      case LaneFrames.RESULT, LaneFrames.ERROR, LaneFrames.CHUNK, LaneFrames.PONG -> {
        var p = table.get(callId);
        if (p != null) {
          p.frame(type, flags, payload);
        }
      }
      case LaneFrames.HOST_CALL, LaneFrames.HOST_TOOLS -> hostServer.frame(type, callId, payload);
      case LaneFrames.TELEMETRY -> {
        var events = telemetry;
        if (events == null) {
          throw new LaneFrames.LaneProtocolException("TELEMETRY frame before the host enabled telemetry");
        }
        events.frame(payload);
      }
      case LaneFrames.GOAWAY -> socket.close("the worker said goodbye: " + LaneDecoding.utf8(payload));
      default -> throw new LaneFrames.LaneProtocolException("unexpected " + LaneFrames.name(type) + " frame from the worker");
    }
  }

  /**
   * Asks the worker for its tools' telemetry events (a TELEMETRY_CONTROL frame): only pools with
   * event listeners call this, so other lanes carry no telemetry at all.
   */
  @Override
  public void streamTelemetry(java.util.function.Consumer<dev.snakepit.PoolEventListener.TelemetryEvent> sink) {
    var events = new LaneTelemetry(workerId, sink);
    telemetry = events;
    try {
      writer.writeFrame(LaneFrames.TELEMETRY_CONTROL, 0, 0, ByteBuffer.wrap(LaneTelemetry.ENABLE));
    } catch (RuntimeException e) {
      // The lane closed already: the pool replaces the worker, and the replacement gets its own request.
    }
    if (socket.closed()) {
      events.close(); // failAll may have run before the field was set
    }
  }

  /** The socket closed: every pending call fails with the reason, and the reader thread ends. */
  private void failAll() {
    for (var p : table.all()) {
      p.fail(socket.connectionLost());
    }
    readRole.wakeReader();
    var events = telemetry;
    if (events != null) {
      events.close();
    }
  }

  @Override
  public void close() {
    socket.close("closed by the pool");
    try {
      readRole.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    socket.closeSelectors();
  }

  /** Whether the lane is closed (tests). */
  boolean isClosed() {
    return socket.closed();
  }

  /** Number of calls still waiting for an answer (tests). */
  int pendingCount() {
    return table.size();
  }
}
