package dev.snakepit.internal.transport.lane;

import dev.snakepit.internal.transport.WorkerStatus;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** A PING waiting for its PONG, which carries the worker's active and busy call counts. */
final class LanePing implements LanePending {
  private final LaneCallTable table;
  private final int id;
  private final long deadline;
  final CompletableFuture<WorkerStatus> future = new CompletableFuture<>();

  LanePing(LaneCallTable table, int id, long deadline) {
    this.table = table;
    this.id = id;
    this.deadline = deadline;
  }

  @Override
  public void frame(byte type, int flags, ByteBuffer payload) {
    if (type != LaneFrames.PONG || payload.remaining() != 8) {
      throw new LaneFrames.LaneProtocolException("expected an 8-byte PONG for ping " + id);
    }
    int active = payload.getInt(payload.position());
    int busy = payload.getInt(payload.position() + 4);
    table.remove(id, this);
    future.complete(new WorkerStatus(active, busy));
  }

  @Override
  public void fail(RuntimeException error) {
    table.remove(id, this);
    future.completeExceptionally(error);
  }

  @Override
  public long deadline() {
    return deadline;
  }
}
