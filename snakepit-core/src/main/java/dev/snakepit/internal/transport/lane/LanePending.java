package dev.snakepit.internal.transport.lane;

import java.nio.ByteBuffer;

/** Something on a lane waiting for frames of one call id: a unary call, a stream or a ping. */
interface LanePending {
  /** Handles one frame for this call; {@code payload} is valid only during the call. */
  void frame(byte type, int flags, ByteBuffer payload);

  /** Ends the call with {@code error} (connection lost, deadline passed, cancelled). */
  void fail(RuntimeException error);

  /** When the call expires, {@link System#nanoTime()} based. */
  long deadline();

  /** The caller thread that reads frames for this call itself ({@code drive}); null: the reader thread reads for it. */
  default Thread waiter() {
    return null;
  }
}
