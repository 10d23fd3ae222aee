package dev.snakepit.internal.transport;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * How the pool talks to one worker. The pool sees only this interface, never gRPC. Futures and
 * listeners fail with a {@link TransportFailure} (typed kind), a {@link RemoteToolError} (the
 * protocol's error document, e.g. an error raised mid-stream), or a
 * {@link java.util.concurrent.CancellationException} when the caller cancelled; the pool maps
 * these to {@link dev.snakepit.SnakepitException}s in one place.
 */
public interface WorkerTransport extends AutoCloseable {
  /** Checks the worker answers, within {@code timeout}, and returns what it reports about its load. */
  CompletableFuture<WorkerStatus> ping(Duration timeout);

  /** Runs a tool; the future fails on transport errors. Cancelling the future cancels the call. */
  CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout);

  /**
   * Runs a tool for a caller that will block for the answer in {@link #drive}: a transport may then
   * read the answer on the caller's own thread instead of handing it over from a transport thread.
   */
  default CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout, boolean callerWaits) {
    return execute(request, timeout);
  }

  /**
   * Called by a thread about to block until {@code until} completes (a future derived from a call this
   * transport runs with {@code callerWaits}); the transport may use the thread to read frames until then
   * or until {@code deadlineNanos} ({@link System#nanoTime()} based). Returns early whenever it likes:
   * the caller still waits on {@code until} afterwards.
   */
  default void drive(java.util.concurrent.Future<?> until, long deadlineNanos) {}

  /** Starts a streaming call; chunks are delivered as the listener requests them via the handle. */
  StreamCall stream(ToolRequest request, Duration timeout, int initialRequest, ChunkListener listener);

  /**
   * Opens the worker's telemetry stream: every event its tools emit goes to {@code sink}, on a
   * transport thread, until the transport closes. A transport without telemetry does nothing.
   */
  default void streamTelemetry(java.util.function.Consumer<dev.snakepit.PoolEventListener.TelemetryEvent> sink) {}

  /** Closes the connection now, cancelling calls still running. */
  @Override
  void close();
}
