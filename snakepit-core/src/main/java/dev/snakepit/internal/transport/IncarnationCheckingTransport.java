package dev.snakepit.internal.transport;

import dev.snakepit.PoolEventListener;
import dev.snakepit.StreamChunk;
import java.time.Duration;
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * A remote worker's transport that sends, with every session call, the incarnation the session is
 * bound to ({@code snakepit.incarnation}). A worker that restarted between two health checks (the
 * channel reconnected to the new process by itself) refuses such a call instead of running it
 * against empty session state; this transport then reports the worker lost, so the pool fails the
 * call as a crash and the session with {@code WORKER_LOST}.
 */
public final class IncarnationCheckingTransport implements WorkerTransport {
  /** Request metadata: the incarnation a session call expects (checked by the standalone worker). */
  public static final String EXPECT_INCARNATION = "snakepit.incarnation";
  /** How the worker's refusal starts. */
  public static final String WORKER_LOST = "snakepit.worker_lost:";

  private final WorkerTransport delegate;
  private final String incarnation;
  private final Consumer<String> lost;

  /**
   * Wraps {@code delegate}.
   *
   * @param incarnation the incarnation the worker had when the pool bound it
   * @param lost told (with the worker's reason) when the worker refuses a call as another incarnation
   */
  public IncarnationCheckingTransport(WorkerTransport delegate, String incarnation, Consumer<String> lost) {
    this.delegate = delegate;
    this.incarnation = incarnation;
    this.lost = lost;
  }

  @Override
  public CompletableFuture<WorkerStatus> ping(Duration timeout) {
    return delegate.ping(timeout);
  }

  @Override
  public CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout) {
    var future = delegate.execute(expecting(request), timeout);
    var checked = new CompletableFuture<ToolResponse>();
    future.whenComplete((response, error) -> {
      if (error == null) {
        checked.complete(response);
      } else {
        checked.completeExceptionally(translate(error));
      }
    });
    // Cancelling the caller's future cancels the call.
    checked.whenComplete((r, e) -> {
      if (checked.isCancelled()) {
        future.cancel(true);
      }
    });
    return checked;
  }

  @Override
  public StreamCall stream(ToolRequest request, Duration timeout, int initialRequest, ChunkListener listener) {
    return delegate.stream(expecting(request), timeout, initialRequest, new ChunkListener() {
      @Override
      public void onStart(StreamCall call) {
        listener.onStart(call);
      }

      @Override
      public void onChunk(StreamChunk chunk) {
        listener.onChunk(chunk);
      }

      @Override
      public void onError(RuntimeException error) {
        listener.onError(translate(error) instanceof RuntimeException re ? re : error);
      }

      @Override
      public void onCompleted() {
        listener.onCompleted();
      }
    });
  }

  @Override
  public void streamTelemetry(Consumer<PoolEventListener.TelemetryEvent> sink) {
    delegate.streamTelemetry(sink);
  }

  @Override
  public void close() {
    delegate.close();
  }

  private ToolRequest expecting(ToolRequest request) {
    if (request.sessionId() == null || request.sessionId().isEmpty()) {
      return request;
    }
    var metadata = new HashMap<>(request.metadata());
    metadata.put(EXPECT_INCARNATION, incarnation);
    return new ToolRequest(request.toolName(), request.sessionId(), request.jsonArguments(), request.binaryArguments(),
        metadata);
  }

  private Throwable translate(Throwable error) {
    var cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof TransportFailure failure && failure.detail().startsWith(WORKER_LOST)) {
      lost.accept(failure.detail().substring(WORKER_LOST.length()).strip());
      return new TransportFailure(TransportFailure.Kind.CONNECTION_LOST, failure.code(), failure.detail(), failure);
    }
    return cause;
  }
}
