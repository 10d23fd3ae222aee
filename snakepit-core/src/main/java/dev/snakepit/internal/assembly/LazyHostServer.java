package dev.snakepit.internal.assembly;

import dev.snakepit.internal.host.SessionStore;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.tools.HostCalls;
import dev.snakepit.internal.transport.grpc.AuthToken;
import dev.snakepit.internal.transport.grpc.HostBridgeServer;
import java.util.function.Supplier;

/**
 * The host's gRPC callback server, started the first time a worker launch asks for its address
 * (only transports whose workers call it do), so a pool that never needs it never opens the port.
 */
final class LazyHostServer implements Supplier<String>, AutoCloseable {
  private final String poolName;
  private final AuthToken token;
  private final boolean requireToken;
  private final int maxMessageSize;
  private final SessionStore sessions;
  private final ToolCatalog catalog;
  private final HostCalls hostCalls;
  private HostBridgeServer server;
  private boolean closed;

  LazyHostServer(String poolName, AuthToken token, boolean requireToken, int maxMessageSize, SessionStore sessions,
      ToolCatalog catalog, HostCalls hostCalls) {
    this.poolName = poolName;
    this.token = token;
    this.requireToken = requireToken;
    this.maxMessageSize = maxMessageSize;
    this.sessions = sessions;
    this.catalog = catalog;
    this.hostCalls = hostCalls;
  }

  /** The server's {@code host:port}, starting it on first use. */
  @Override
  public synchronized String get() {
    if (closed) {
      throw new IllegalStateException("the pool " + poolName + " is closed");
    }
    if (server == null) {
      server = new HostBridgeServer(poolName, token, requireToken, maxMessageSize, sessions, catalog, hostCalls);
    }
    return server.address();
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
