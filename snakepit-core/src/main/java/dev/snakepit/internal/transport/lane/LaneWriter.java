package dev.snakepit.internal.transport.lane;

import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.grpc.SharedMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes frames to the lane, one whole frame at a time under a lock, from one reusable direct buffer.
 * Large bytes arguments go to shared memory when the worker takes it, else follow the header inline.
 */
final class LaneWriter {
  private static final Logger LOG = LoggerFactory.getLogger(LaneWriter.class);
  private static final int WRITE_BUFFER = 64 * 1024;
  private static final long MAX_SELECT_MS = 50;

  private final LaneSocket socket;
  private final String workerId;
  private final int maxMessageSize;
  private final SharedMemory sharedMemory;
  private final boolean workerTakesSharedMemory;
  private final ReentrantLock writeLock = new ReentrantLock();
  private ByteBuffer out = ByteBuffer.allocateDirect(WRITE_BUFFER);

  LaneWriter(LaneSocket socket, String workerId, int maxMessageSize, SharedMemory sharedMemory,
      boolean workerTakesSharedMemory) {
    this.socket = socket;
    this.workerId = workerId;
    this.maxMessageSize = maxMessageSize;
    this.sharedMemory = sharedMemory;
    this.workerTakesSharedMemory = workerTakesSharedMemory && sharedMemory != null;
  }

  /**
   * Writes a CALL or STREAM frame. For a unary {@code call}, large bytes arguments and the result may
   * travel through shared memory; the slots are recorded on the call so it releases them when it ends.
   */
  void writeCall(byte type, int id, ToolRequest request, Duration timeout, int credit, LaneUnaryCall call) {
    var inline = new ArrayList<Map.Entry<String, ByteBuffer>>(request.binaryArguments().size());
    var shared = new ArrayList<CallEncoder.SharedArgument>(0);
    long inlineBytes = 0;
    long sharedBytes = 0;
    for (var e : request.binaryArguments().entrySet()) {
      var bytes = e.getValue();
      if (workerTakesSharedMemory && call != null && bytes.remaining() >= SharedMemory.THRESHOLD) {
        var slot = sharedMemory.acquire();
        try {
          sharedMemory.write(slot, bytes);
          call.addSlot(slot);
          shared.add(new CallEncoder.SharedArgument(e.getKey(), slot.name, bytes.remaining()));
          sharedBytes += bytes.remaining();
          continue;
        } catch (java.io.UncheckedIOException failure) {
          // /dev/shm full or gone: the frame carries the bytes (SharedMemory counted it and logged it once).
          sharedMemory.release(slot, false);
        }
      }
      inline.add(e);
      inlineBytes += bytes.remaining();
    }
    String resultFile = null;
    if (workerTakesSharedMemory && call != null) {
      resultFile = call.takeResultSlot(sharedMemory.acquire()).name;
    }
    // payloadSize() already counts every bytes argument once; those handed off do not travel in the frame.
    long frameBytes = request.payloadSize() - sharedBytes;
    if (frameBytes > maxMessageSize) {
      throw new PayloadTooLargeException(request.toolName(), "the request", frameBytes, maxMessageSize, workerId);
    }
    int bound = LaneFrames.HEADER + 12 + CallEncoder.headerBound(request) + 64 * inline.size() + 64;
    writeLock.lock();
    try {
      var buffer = ensure(bound);
      int start = buffer.position();
      buffer.position(start + LaneFrames.HEADER);
      buffer.putInt((int) Math.min(0xffffffffL, Math.max(1, timeout.toMillis()))).putInt(credit);
      int lengthAt = buffer.position();
      buffer.putInt(0);
      CallEncoder.header(buffer, request, inline, shared, resultFile, SharedMemory.THRESHOLD);
      int headerLength = buffer.position() - lengthAt - 4;
      buffer.putInt(lengthAt, headerLength);
      long payload = buffer.position() - start - LaneFrames.HEADER + inlineBytes;
      buffer.putInt(start, (int) payload + LaneFrames.MIN_LENGTH).put(start + 4, type).put(start + 5, (byte) 0)
          .putShort(start + 6, (short) 0).putInt(start + 8, id);
      buffer.flip();
      drain(buffer);
      for (var e : inline) {
        drain(e.getValue().duplicate());
      }
    } finally {
      out.clear();
      writeLock.unlock();
    }
  }

  /** Writes one frame; {@code payload} may be null for an empty one. */
  void writeFrame(byte type, int flags, int id, ByteBuffer payload) {
    writeLock.lock();
    try {
      int length = payload == null ? 0 : payload.remaining();
      var buffer = ensure(LaneFrames.HEADER + Math.min(length, WRITE_BUFFER));
      LaneFrames.putHeader(buffer, length, type, flags, id);
      if (payload != null && length <= buffer.remaining()) {
        buffer.put(payload);
        buffer.flip();
        drain(buffer);
      } else {
        buffer.flip();
        drain(buffer);
        if (payload != null) {
          drain(payload);
        }
      }
    } finally {
      out.clear();
      writeLock.unlock();
    }
  }

  /** Sends CANCEL for call {@code id} if the lane is open; a failure to send is only logged (the call ends anyway). */
  void sendCancel(int id) {
    if (!socket.closed()) {
      try {
        writeFrame(LaneFrames.CANCEL, 0, id, null);
      } catch (RuntimeException e) {
        LOG.debug("CANCEL {} to {} not sent: {}", id, workerId, e.toString());
      }
    }
  }

  /** Sends CREDIT for {@code count} more chunks of stream {@code id}. */
  void sendCredit(int id, int count) {
    try {
      writeFrame(LaneFrames.CREDIT, 0, id, ByteBuffer.allocate(4).putInt(0, count));
    } catch (RuntimeException e) {
      LOG.debug("CREDIT for stream {} on {} not sent: {}", id, workerId, e.toString());
    }
  }

  void sendGoaway(String reason) {
    try {
      writeFrame(LaneFrames.GOAWAY, 0, 0, ByteBuffer.wrap(reason.getBytes(StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      LOG.debug("GOAWAY to {} not sent: {}", workerId, e.toString());
    }
  }

  private ByteBuffer ensure(int size) {
    if (out.capacity() < size) {
      out = ByteBuffer.allocateDirect(Integer.highestOneBit(size - 1) << 1);
    }
    out.clear();
    return out;
  }

  /** Writes all of {@code buffer}, waiting for room in the socket when it is full. Caller holds the write lock. */
  private void drain(ByteBuffer buffer) {
    try {
      while (buffer.hasRemaining()) {
        if (socket.closed()) {
          throw socket.connectionLost();
        }
        if (socket.channel.write(buffer) == 0) {
          socket.writeSelector.select(k -> {}, MAX_SELECT_MS);
        }
      }
    } catch (IOException e) {
      socket.close("write failed: " + e.getMessage());
      throw socket.connectionLost();
    }
  }
}
