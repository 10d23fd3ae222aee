package dev.snakepit.internal.transport.lane;

import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.internal.transport.grpc.SharedMemory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A unary call: a future completed by whichever thread reads its RESULT or ERROR. */
final class LaneUnaryCall extends CompletableFuture<ToolResponse> implements LanePending {
  private final LaneCallContext lane;
  final int id;
  final String toolName;
  private final long deadline;
  private final Thread waiter;
  private List<SharedMemory.Slot> slots = List.of();
  private SharedMemory.Slot resultSlot;

  /** {@code driven}: the calling thread will read frames for this call itself. */
  LaneUnaryCall(LaneCallContext lane, int id, String toolName, long timeoutNanos, boolean driven) {
    this.lane = lane;
    this.id = id;
    this.toolName = toolName;
    this.deadline = System.nanoTime() + timeoutNanos;
    this.waiter = driven ? Thread.currentThread() : null;
  }

  void addSlot(SharedMemory.Slot slot) {
    if (slots.isEmpty()) {
      slots = new ArrayList<>(2);
    }
    slots.add(slot);
  }

  SharedMemory.Slot takeResultSlot(SharedMemory.Slot slot) {
    resultSlot = slot;
    return slot;
  }

  @Override
  public long deadline() {
    return deadline;
  }

  @Override
  public Thread waiter() {
    return waiter;
  }

  @Override
  public void frame(byte type, int flags, ByteBuffer payload) {
    if (type == LaneFrames.RESULT) {
      ToolResponse response;
      try {
        response = decodeResult(flags, payload);
      } catch (RuntimeException e) {
        finish(false);
        completeExceptionally(e instanceof PayloadTooLargeException ? e : new TransportFailure(
            TransportFailure.Kind.PROTOCOL_ERROR, "INTERNAL", "unreadable result: " + e.getMessage(), e));
        return;
      }
      finish(true);
      complete(response);
    } else if (type == LaneFrames.ERROR) {
      var json = LaneDecoding.utf8(payload);
      finish(true);
      complete(new ToolResponse(false, null, null, json, Map.of(), 0));
    } else {
      throw new LaneFrames.LaneProtocolException("unexpected " + LaneFrames.name(type) + " frame for call " + id);
    }
  }

  @Override
  public void fail(RuntimeException error) {
    finish(false);
    completeExceptionally(error);
  }

  private void finish(boolean reusable) {
    if (!lane.table.remove(id, this)) {
      return;
    }
    for (var slot : slots) {
      lane.sharedMemory.release(slot, reusable);
    }
    if (resultSlot != null) {
      lane.sharedMemory.release(resultSlot, reusable);
    }
  }

  @Override
  public boolean complete(ToolResponse value) {
    boolean done = super.complete(value);
    LaneCallContext.wake(waiter);
    return done;
  }

  @Override
  public boolean completeExceptionally(Throwable error) {
    boolean done = super.completeExceptionally(error);
    LaneCallContext.wake(waiter);
    return done;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    if (lane.table.contains(id)) {
      finish(false);
      lane.writer.sendCancel(id);
    }
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    LaneCallContext.wake(waiter);
    return cancelled;
  }

  private ToolResponse decodeResult(int flags, ByteBuffer payload) {
    if (payload.remaining() < 4) {
      throw new LaneFrames.LaneProtocolException("RESULT payload of " + payload.remaining() + " bytes");
    }
    long micros = Integer.toUnsignedLong(payload.getInt());
    Map<String, String> metadata = (flags & LaneFrames.F_META) != 0 ? LaneDecoding.readMeta(payload) : Map.of();
    if ((flags & LaneFrames.F_SHM) != 0) {
      var reference = LaneDecoding.utf8(payload);
      int colon = reference.lastIndexOf(':');
      var slot = resultSlot;
      if (slot == null || colon < 0 || !slot.name.equals(reference.substring(0, colon))) {
        throw new IllegalStateException("the worker named an unexpected shared-memory result '" + reference + "'");
      }
      long length = Long.parseLong(reference.substring(colon + 1));
      if (length > lane.maxMessageSize) {
        throw new PayloadTooLargeException(toolName, "the result", length, lane.maxMessageSize, lane.workerId);
      }
      return new ToolResponse(true, null, lane.sharedMemory.read(slot, length), null, metadata, micros / 1000);
    }
    var data = LaneDecoding.bytes(payload);
    if ((flags & LaneFrames.F_BINARY) != 0) {
      if (resultSlot != null && data.length >= SharedMemory.THRESHOLD) {
        // The worker could not write the offered file (a full /dev/shm): counted and logged once, as over gRPC.
        lane.sharedMemory.resultFellBack(lane.workerId, data.length);
      }
      return new ToolResponse(true, null, ByteBuffer.wrap(data), null, metadata, micros / 1000);
    }
    return new ToolResponse(true, data, null, null, metadata, micros / 1000);
  }
}
