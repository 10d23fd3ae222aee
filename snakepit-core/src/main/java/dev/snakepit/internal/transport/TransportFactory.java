package dev.snakepit.internal.transport;

/** Creates transports to workers; owns what they share (event loops, threads). */
public interface TransportFactory extends AutoCloseable {
  /** Connects to a worker listening on loopback {@code port}. */
  WorkerTransport connect(String host, int port, String workerId);

  /** Releases shared resources; every transport made by this factory must be closed first. */
  @Override
  void close();
}
