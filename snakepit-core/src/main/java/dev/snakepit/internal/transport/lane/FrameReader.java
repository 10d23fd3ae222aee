package dev.snakepit.internal.transport.lane;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Cuts the bytes of a lane connection into frames. Small frames are parsed in place from one
 * reusable direct buffer (many per read); a frame larger than that buffer is read into a heap
 * buffer of its exact size. Not thread-safe: only the thread holding the read role uses it.
 */
final class FrameReader {
  /** Receives one frame; {@code payload} is valid only during the call. */
  interface FrameSink {
    void frame(byte type, int flags, int callId, ByteBuffer payload);
  }

  private final ByteBuffer buffer;
  private final int maxLength;
  private ByteBuffer big;
  private byte bigType;
  private int bigFlags;
  private int bigCallId;

  FrameReader(int bufferSize, int maxLength) {
    this.buffer = ByteBuffer.allocateDirect(bufferSize);
    this.buffer.flip();
    this.maxLength = maxLength;
  }

  /** Reads what the channel has (non-blocking channels may give 0); -1 at end of stream. */
  int read(ReadableByteChannel channel) throws IOException {
    if (big != null) {
      return channel.read(big);
    }
    buffer.compact();
    try {
      return channel.read(buffer);
    } finally {
      buffer.flip();
    }
  }

  /** Copies {@code bytes} in, as if read from a channel (tests and fuzzing). Returns how many fit. */
  int feed(ByteBuffer bytes) {
    if (big != null) {
      int n = Math.min(bytes.remaining(), big.remaining());
      big.put(bytes.slice(bytes.position(), n));
      bytes.position(bytes.position() + n);
      return n;
    }
    buffer.compact();
    int n = Math.min(bytes.remaining(), buffer.remaining());
    buffer.put(bytes.slice(bytes.position(), n));
    bytes.position(bytes.position() + n);
    buffer.flip();
    return n;
  }

  /**
   * Hands the next complete frame to {@code sink}; false if no complete frame is buffered yet.
   *
   * @throws LaneFrames.LaneProtocolException for a frame that breaks the layout
   */
  boolean next(FrameSink sink) {
    if (big != null) {
      if (big.hasRemaining()) {
        return false;
      }
      var payload = big.flip();
      big = null;
      sink.frame(bigType, bigFlags, bigCallId, payload);
      return true;
    }
    if (buffer.remaining() < LaneFrames.HEADER) {
      return false;
    }
    int at = buffer.position();
    long length = Integer.toUnsignedLong(buffer.getInt(at));
    int type = buffer.get(at + 4) & 0xff;
    int flags = buffer.get(at + 5) & 0xff;
    int reserved = buffer.getShort(at + 6) & 0xffff;
    int callId = buffer.getInt(at + 8);
    LaneFrames.checkHeader(length, type, reserved, maxLength);
    int payloadLength = (int) length - LaneFrames.MIN_LENGTH;
    int total = (int) length + 4;
    if (buffer.remaining() >= total) {
      int limit = buffer.limit();
      buffer.position(at + LaneFrames.HEADER).limit(at + total);
      try {
        sink.frame((byte) type, flags, callId, buffer);
      } finally {
        buffer.limit(limit).position(at + total);
      }
      return true;
    }
    if (total > buffer.capacity()) {
      big = ByteBuffer.allocate(payloadLength);
      buffer.position(at + LaneFrames.HEADER);
      big.put(buffer);
      bigType = (byte) type;
      bigFlags = flags;
      bigCallId = callId;
      return next(sink);
    }
    return false;
  }
}
