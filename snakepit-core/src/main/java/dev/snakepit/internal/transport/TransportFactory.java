package dev.snakepit.internal.transport;

import java.util.List;
import java.util.Map;

/**
 * Creates transports to workers and owns what they share (event loops, threads, files). The pool's
 * composition root picks one factory per pool; the worker launcher asks it for the arguments and
 * environment its workers need, and the pool connects to the endpoint the worker announced.
 */
public interface TransportFactory extends AutoCloseable {
  /** A short name for logs and stats ({@code grpc}, {@code lane}). */
  default String name() {
    return getClass().getSimpleName();
  }

  /**
   * Picks the endpoint to connect to among those a worker announced. The default takes the first;
   * fails with {@link TransportFailure.Kind#PROTOCOL_ERROR} when the worker announced none this
   * factory can use.
   */
  default WorkerEndpoint choose(ReadyFile announced) {
    if (announced.endpoints().isEmpty()) {
      throw new TransportFailure(TransportFailure.Kind.PROTOCOL_ERROR, "NO_ENDPOINT",
          "the ready file announced no endpoint", null);
    }
    return announced.endpoints().getFirst();
  }

  /** Connects to a worker at {@code endpoint}. */
  WorkerTransport connect(WorkerEndpoint endpoint, String workerId);

  /** Extra command-line arguments a worker needs for this transport (appended at launch). */
  default List<String> workerArguments(String workerId) {
    return List.of();
  }

  /** Environment variables a worker needs for this transport's optional features (added at launch). */
  default Map<String, String> workerEnvironment(String workerId) {
    return Map.of();
  }

  /**
   * How many bytes arguments and results travelled inside messages because their shared-memory
   * hand-off failed ({@code /dev/shm} full or gone); 0 for transports without the hand-off.
   */
  default long sharedMemoryFallbacks() {
    return 0;
  }

  /**
   * Whether this factory's workers call the host's gRPC callback server (host tools, sessions,
   * registration). When no factory of the pool needs it, the server is never started.
   */
  default boolean needsHostCallbackServer() {
    return true;
  }

  /**
   * Whether {@link #connect} itself proves the worker serves calls (its handshake is answered by
   * the worker's serving code on the connection calls use), so no Ping is needed before the worker
   * counts as ready. False by default: the starter pings.
   */
  default boolean connectProvesReady() {
    return false;
  }

  /** Releases shared resources; every transport made by this factory must be closed first. */
  @Override
  void close();
}
