package dev.snakepit.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * The raw Unix-socket floor: length-prefixed frames between java.nio ({@link UnixDomainSocketAddress})
 * and a Python process ({@code socket_floor.py}). Buffers on both sides are direct or reused, so the
 * only work is the kernel's: this is the physical floor for moving bytes between the two processes.
 */
final class SocketFloor implements AutoCloseable {
  private final BenchContext context;
  private final HelperProcess server;
  private final SocketChannel channel;
  private final ByteBuffer header = ByteBuffer.allocateDirect(9).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteBuffer length = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
  private ByteBuffer receive = ByteBuffer.allocateDirect(64 * 1024);

  private SocketFloor(BenchContext context, HelperProcess server, SocketChannel channel) {
    this.context = context;
    this.server = server;
    this.channel = channel;
  }

  static SocketFloor start(BenchContext context) {
    Path socket = context.newPath("s", ".sock");
    var server = context.startHelper("socket-floor", "socket_floor.py", List.of(socket.toString()));
    try {
      var channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
      return new SocketFloor(context, server, channel);
    } catch (IOException e) {
      context.stop(server);
      throw new UncheckedIOException("cannot connect to the socket floor", e);
    }
  }

  String name() {
    return "raw UDS socket";
  }

  /** Echoes {@code payload} (a direct buffer, position to limit); returns the reply (a reused buffer). */
  ByteBuffer echo(ByteBuffer payload) {
    send('E', payload.remaining(), payload);
    return receiveFrame();
  }

  /** Sends {@code payload}; the server replies with its size. */
  long up(ByteBuffer payload) {
    send('U', payload.remaining(), payload);
    return receiveFrame().getLong(0);
  }

  /** Asks for {@code size} bytes; returns them (a reused buffer). */
  ByteBuffer down(int size) {
    send('D', size, null);
    return receiveFrame();
  }

  /** Streams {@code count} frames of {@code size} bytes; returns how many arrived. */
  long stream(int count, int size) {
    var request = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN).putLong(count).putLong(size).flip();
    send('S', 16, request);
    for (int i = 0; i < count; i++) {
      receiveFrame();
    }
    return count;
  }

  private void send(char op, long size, ByteBuffer payload) {
    header.clear();
    header.put((byte) op).putLong(size).flip();
    try {
      if (payload == null) {
        writeFully(header);
      } else {
        var view = payload.duplicate();
        var both = new ByteBuffer[] {header, view};
        while (header.hasRemaining() || view.hasRemaining()) {
          channel.write(both);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ByteBuffer receiveFrame() {
    try {
      length.clear();
      readFully(length);
      int size = (int) length.getLong(0);
      if (receive.capacity() < size) {
        receive = ByteBuffer.allocateDirect(size);
      }
      receive.clear().limit(size);
      readFully(receive);
      return receive.flip().order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  private void readFully(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        throw new EOFException("socket floor closed the connection");
      }
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing anyway.
    }
    context.stop(server);
  }

  @Override
  public String toString() {
    return name();
  }
}
