package dev.snakepit.internal.transport.lane;

import dev.snakepit.internal.transport.TransportFailure;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lane's non-blocking socket, a selector for each direction, and whether it is still open.
 * Closing it (from any thread, once) runs the owner's close hook, which fails the pending calls.
 */
final class LaneSocket {
  private static final Logger LOG = LoggerFactory.getLogger(LaneSocket.class);

  final SocketChannel channel;
  final Selector readSelector;
  final Selector writeSelector;
  private final String workerId;
  private final Consumer<String> onClose;
  private volatile boolean closed;
  private volatile String closeReason;

  LaneSocket(SocketChannel channel, String workerId, Consumer<String> onClose) throws IOException {
    this.channel = channel;
    this.workerId = workerId;
    this.onClose = onClose;
    channel.configureBlocking(false);
    this.readSelector = Selector.open();
    this.writeSelector = Selector.open();
    channel.register(readSelector, SelectionKey.OP_READ);
    channel.register(writeSelector, SelectionKey.OP_WRITE);
  }

  boolean closed() {
    return closed;
  }

  /** Closes the socket and runs the close hook, the first time only. */
  void close(String reason) {
    if (closed) {
      return;
    }
    closeReason = reason;
    closed = true;
    LOG.debug("Lane to {} closed: {}", workerId, reason);
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("Closing the lane to {}", workerId, e);
    }
    readSelector.wakeup();
    writeSelector.wakeup();
    onClose.accept(reason);
  }

  /** The error for calls on a lane that is (or just got) closed. */
  TransportFailure connectionLost() {
    return new TransportFailure(TransportFailure.Kind.CONNECTION_LOST, "UNAVAILABLE",
        "lane to " + workerId + ": " + (closeReason == null ? "closed" : closeReason), null);
  }

  /** Releases the selectors once nothing reads or writes any more. */
  void closeSelectors() {
    try {
      readSelector.close();
      writeSelector.close();
    } catch (IOException e) {
      LOG.debug("Closing selectors of {}", workerId, e);
    }
  }
}
