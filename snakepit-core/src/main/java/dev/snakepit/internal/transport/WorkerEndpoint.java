package dev.snakepit.internal.transport;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a worker listens, as it announced in its ready file: a loopback TCP port (every worker, the
 * Snakepit protocol) or a Unix-domain socket (transports that add one). {@link ReadyFile} parses
 * the announcement; a {@link TransportFactory} connects to one endpoint.
 */
public sealed interface WorkerEndpoint permits WorkerEndpoint.Tcp, WorkerEndpoint.UnixSocket {

  /**
   * A TCP port on {@code host} (loopback for local workers).
   *
   * @param host the host name or address
   * @param port the port, 1 to 65535
   */
  record Tcp(String host, int port) implements WorkerEndpoint {
    /** Validates. */
    public Tcp {
      Objects.requireNonNull(host, "host");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1..65535, was " + port);
      }
    }

    /** A port on the loopback address. */
    public static Tcp loopback(int port) {
      return new Tcp("127.0.0.1", port);
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /**
   * A Unix-domain socket file.
   *
   * @param path the socket's path
   */
  record UnixSocket(Path path) implements WorkerEndpoint {
    /** Validates. */
    public UnixSocket {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String toString() {
      return "unix:" + path;
    }
  }
}
