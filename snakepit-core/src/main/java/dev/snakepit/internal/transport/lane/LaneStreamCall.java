package dev.snakepit.internal.transport.lane;

import dev.snakepit.StreamChunk;
import dev.snakepit.internal.transport.ChunkListener;
import dev.snakepit.internal.transport.RemoteToolError;
import dev.snakepit.internal.transport.StreamCall;
import dev.snakepit.internal.transport.TransportFailure;
import java.nio.ByteBuffer;
import java.util.Map;

/** A streaming call: chunks go to the listener on the reading thread; CREDIT frames ask for more. */
final class LaneStreamCall implements LanePending, StreamCall {
  private final LaneCallContext lane;
  final int id;
  final String toolName;
  private final long deadline;
  private final ChunkListener listener;
  private long sequence;
  private volatile boolean finished;

  LaneStreamCall(LaneCallContext lane, int id, String toolName, long deadline, ChunkListener listener) {
    this.lane = lane;
    this.id = id;
    this.toolName = toolName;
    this.deadline = deadline;
    this.listener = listener;
  }

  @Override
  public long deadline() {
    return deadline;
  }

  @Override
  public void frame(byte type, int flags, ByteBuffer payload) {
    if (type == LaneFrames.CHUNK) {
      Map<String, String> metadata = switch (flags & LaneFrames.CHUNK_KIND_MASK) {
        case LaneFrames.CHUNK_TEXT -> lane.textChunk;
        case LaneFrames.CHUNK_BYTES -> lane.bytesChunk;
        default -> lane.jsonChunk;
      };
      if ((flags & LaneFrames.F_META) != 0) {
        metadata = LaneDecoding.withMeta(metadata, LaneDecoding.readMeta(payload));
      }
      var data = LaneDecoding.bytes(payload);
      boolean last = (flags & LaneFrames.F_FINAL) != 0;
      if (last) {
        end();
      }
      listener.onChunk(new StreamChunk(++sequence, data, last, metadata));
      if (last) {
        listener.onCompleted();
      }
    } else if (type == LaneFrames.ERROR) {
      end();
      listener.onError(new RemoteToolError(LaneDecoding.utf8(payload)));
    } else {
      throw new LaneFrames.LaneProtocolException("unexpected " + LaneFrames.name(type) + " frame for stream " + id);
    }
  }

  private void end() {
    lane.table.remove(id, this);
    finished = true;
  }

  @Override
  public void fail(RuntimeException error) {
    lane.table.remove(id, this);
    if (!finished) {
      finished = true;
      listener.onError(error);
    }
  }

  @Override
  public void request(int count) {
    if (count > 0 && !finished && !lane.socket.closed()) {
      lane.writer.sendCredit(id, count);
    }
  }

  @Override
  public void cancel(String reason) {
    if (lane.table.contains(id)) {
      lane.writer.sendCancel(id);
      fail(new TransportFailure(TransportFailure.Kind.CANCELLED, "CANCELLED", "stream cancelled: " + reason, null));
    }
  }
}
