package dev.snakepit.internal.transport.lane;

import dev.snakepit.StreamChunk;
import dev.snakepit.internal.transport.grpc.SharedMemory;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/** What every call on one lane shares: the socket, the call table, the writer, shared memory and fixed chunk metadata. */
final class LaneCallContext {
  private static final String WORKER_ID = "snakepit.worker_id";

  final LaneSocket socket;
  final LaneCallTable table;
  final LaneWriter writer;
  final SharedMemory sharedMemory;
  final int maxMessageSize;
  final String workerId;
  // Chunk metadata as over gRPC (content type, worker id): made once, shared by every chunk.
  final Map<String, String> jsonChunk;
  final Map<String, String> textChunk;
  final Map<String, String> bytesChunk;

  LaneCallContext(LaneSocket socket, LaneCallTable table, LaneWriter writer, SharedMemory sharedMemory, int maxMessageSize,
      String workerId) {
    this.socket = socket;
    this.table = table;
    this.writer = writer;
    this.sharedMemory = sharedMemory;
    this.maxMessageSize = maxMessageSize;
    this.workerId = workerId;
    this.jsonChunk = Map.of("content_type", StreamChunk.JSON, WORKER_ID, workerId);
    this.textChunk = Map.of("content_type", StreamChunk.TEXT, WORKER_ID, workerId);
    this.bytesChunk = Map.of("content_type", StreamChunk.BYTES, WORKER_ID, workerId);
  }

  /** Wakes the caller parked on a call, unless that caller is the thread completing it. */
  static void wake(Thread waiter) {
    if (waiter != null && waiter != Thread.currentThread()) {
      LockSupport.unpark(waiter);
    }
  }
}
