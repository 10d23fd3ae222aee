package dev.snakepit.internal.transport;

/** Creates transports to workers; owns what they share (event loops, threads). */
public interface TransportFactory extends AutoCloseable {
  /** Connects to a worker listening on loopback {@code port}. */
  WorkerTransport connect(String host, int port, String workerId);

  /** Environment variables a worker needs for this transport's optional features (added at launch). */
  default java.util.Map<String, String> workerEnvironment(String workerId) {
    return java.util.Map.of();
  }

  /** Releases shared resources; every transport made by this factory must be closed first. */
  @Override
  void close();
}
