package dev.snakepit.internal.process;

import dev.snakepit.internal.NamedThreadFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix socket forked workers send their stdout and stderr to: each worker connects twice and
 * announces itself with one header line ({@code <worker id> stdout|stderr}). The socket lives in
 * the pool's private run directory and is owner-only (0600), like everything there.
 */
final class ForkOutputSocket implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("dev.snakepit.worker");
  private static final int MAX_HEADER = 256;

  private final String poolName;
  private final Path path;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private final Map<String, ForkedProcess> awaiting = new ConcurrentHashMap<>();

  ForkOutputSocket(String poolName, Path path) throws IOException {
    this.poolName = poolName;
    this.path = path;
    Files.deleteIfExists(path);
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(path), 64);
      // bind() creates the file with the process umask (often 0755); the directory is 0700 already,
      // so nobody else could reach it meanwhile, but the file itself must be owner-only too.
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | RuntimeException e) {
      closeQuietly(server);
      throw e;
    }
    this.acceptor = NamedThreadFactory.start(poolName, "fork-output", this::accept);
  }

  Path path() {
    return path;
  }

  /** The worker's output connections will be handed to {@code child} when they arrive. */
  void expect(String workerId, ForkedProcess child) {
    awaiting.put(workerId, child);
  }

  /** The worker will not come (the fork failed). */
  void forget(String workerId) {
    awaiting.remove(workerId);
  }

  private void accept() {
    while (server.isOpen()) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      try {
        var header = readHeader(channel);
        var parts = header.split(" ");
        var child = parts.length == 2 ? awaiting.get(parts[0]) : null;
        if (child == null || !child.connected(parts[1], Channels.newInputStream(channel))) {
          LOG.debug("Pool {}: dropping an output connection announced as '{}'", poolName, header);
          channel.close();
        } else if (child.outputConnected()) {
          awaiting.remove(parts[0], child);
        }
      } catch (IOException e) {
        closeQuietly(channel);
      }
    }
  }

  private static String readHeader(SocketChannel channel) throws IOException {
    var buffer = ByteBuffer.allocate(1);
    var text = new StringBuilder();
    while (text.length() < MAX_HEADER) {
      buffer.clear();
      if (channel.read(buffer) < 0) {
        break;
      }
      char c = (char) buffer.get(0);
      if (c == '\n') {
        return text.toString();
      }
      text.append(c);
    }
    throw new IOException("no header line");
  }

  static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  /** Stops accepting and removes the socket file. */
  @Override
  public void close() {
    closeQuietly(server);
    try {
      acceptor.join(1000);
      Files.deleteIfExists(path);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.debug("Could not delete {}", path, e);
    }
    awaiting.clear();
  }
}
