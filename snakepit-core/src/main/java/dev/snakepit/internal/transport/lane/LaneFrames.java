package dev.snakepit.internal.transport.lane;

import java.nio.ByteBuffer;

/**
 * The lane's frame layout (docs/lane.md): a 12-byte big-endian header {@code length u32 | type u8 |
 * flags u8 | reserved u16 | call id u32}, where {@code length} counts the bytes after the length
 * field (8 + payload), then the payload.
 */
final class LaneFrames {
  private LaneFrames() {}

  static final int PROTOCOL_VERSION = 1;
  static final int HEADER = 12;
  static final int MIN_LENGTH = HEADER - 4;

  static final byte HELLO = 1;
  static final byte WELCOME = 2;
  static final byte CALL = 3;
  static final byte STREAM = 4;
  static final byte RESULT = 5;
  static final byte ERROR = 6;
  static final byte CHUNK = 7;
  static final byte CANCEL = 8;
  static final byte CREDIT = 9;
  static final byte HOST_CALL = 10;
  static final byte HOST_RESULT = 11;
  static final byte PING = 12;
  static final byte PONG = 13;
  static final byte TELEMETRY = 14;
  static final byte TELEMETRY_CONTROL = 15;
  static final byte GOAWAY = 16;
  static final byte HOST_TOOLS = 17;
  static final int LAST_TYPE = HOST_TOOLS;

  static final int F_BINARY = 0x01;
  static final int F_FINAL = 0x01;
  static final int F_SHM = 0x02;
  static final int F_META = 0x04;
  static final int F_FAILED = 0x08;
  static final int CHUNK_KIND_MASK = 0x30;
  static final int CHUNK_TEXT = 0x10;
  static final int CHUNK_BYTES = 0x20;

  private static final String[] NAMES = {"?", "HELLO", "WELCOME", "CALL", "STREAM", "RESULT", "ERROR", "CHUNK", "CANCEL",
      "CREDIT", "HOST_CALL", "HOST_RESULT", "PING", "PONG", "TELEMETRY", "TELEMETRY_CONTROL", "GOAWAY", "HOST_TOOLS"};

  static String name(int type) {
    return type > 0 && type <= LAST_TYPE ? NAMES[type] : "type " + type;
  }

  /** Writes a header at the buffer's position. */
  static void putHeader(ByteBuffer buffer, int payloadLength, byte type, int flags, int callId) {
    buffer.putInt(payloadLength + MIN_LENGTH).put(type).put((byte) flags).putShort((short) 0).putInt(callId);
  }

  /**
   * Checks a header read from the wire: the length within bounds, a known type, reserved bits clear.
   * Anything else means the peer is broken or not a lane peer: the connection is closed.
   */
  static void checkHeader(long length, int type, int reserved, int maxLength) {
    if (length < MIN_LENGTH || length > maxLength) {
      throw new LaneProtocolException("frame length " + length + " outside " + MIN_LENGTH + ".." + maxLength);
    }
    if (type < 1 || type > LAST_TYPE) {
      throw new LaneProtocolException("unknown frame type " + type);
    }
    if (reserved != 0) {
      throw new LaneProtocolException("reserved header bits set (" + Integer.toHexString(reserved) + ")");
    }
  }

  /** A peer broke the frame layout; the connection that carried it is closed. */
  static final class LaneProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LaneProtocolException(String message) {
      super(message, null, false, false);
    }
  }
}
