package dev.snakepit.internal.pool;

import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import dev.snakepit.TransportException;
import dev.snakepit.internal.transport.ChunkListener;
import dev.snakepit.internal.transport.StreamCall;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A streaming call whose chunks go to a callback, one at a time on the transport's reading thread;
 * {@link StreamCredit} lets the worker send ahead, so a slow callback holds the stream back.
 */
final class CallbackStream implements ChunkListener {
  private final CallRunner pool;
  private final PooledWorker worker;
  private final String toolName;
  private final Duration budget;
  private final Consumer<StreamChunk> onChunk;
  private final CompletableFuture<Void> done;
  private final AtomicBoolean released = new AtomicBoolean();
  private final long startNanos;
  private final StreamCredit credit = new StreamCredit();
  private volatile StreamCall call;

  CallbackStream(CallRunner pool, PooledWorker worker, String toolName, Duration budget, Consumer<StreamChunk> onChunk,
      CompletableFuture<Void> done) {
    this.pool = pool;
    this.startNanos = pool.now();
    this.worker = worker;
    this.toolName = toolName;
    this.budget = budget;
    this.onChunk = onChunk;
    this.done = done;
    // Cancelling the caller's future cancels the stream in Python.
    done.whenComplete((r, e) -> {
      if (done.isCancelled() && call != null) {
        call.cancel("cancelled by the caller");
        pool.suspect(worker);
        release(true);
      }
    });
  }

  @Override
  public void onStart(StreamCall call) {
    this.call = call;
  }

  @Override
  public void onChunk(StreamChunk chunk) {
    if (done.isDone()) {
      return;
    }
    try {
      onChunk.accept(chunk);
    } catch (RuntimeException e) {
      call.cancel("the chunk callback threw");
      pool.suspect(worker);
      release(true);
      done.completeExceptionally(e);
      return;
    }
    int grant = credit.consumed(chunk.data().length);
    if (grant > 0) {
      call.request(grant);
    }
  }

  @Override
  public void onError(RuntimeException error) {
    if (CallErrors.isDeadline(error)) {
      pool.suspect(worker);
    }
    release(true);
    pool.translateStreamErrorAsync(error, worker, toolName, budget)
        .whenComplete((r, e) -> done.completeExceptionally(e == null ? error : CallErrors.unwrap(e)));
  }

  @Override
  public void onCompleted() {
    release(false);
    done.complete(null);
  }

  private void release(boolean failed) {
    if (released.compareAndSet(false, true)) {
      pool.releaseStream(worker, toolName, startNanos, failed);
    }
  }
}
