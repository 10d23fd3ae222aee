package dev.snakepit.internal.pool;

import dev.snakepit.CallTimeoutException;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolStream;
import dev.snakepit.TransportException;
import dev.snakepit.internal.transport.ChunkListener;
import dev.snakepit.internal.transport.StreamCall;
import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A streaming call seen as an iterator. The transport delivers no more chunks ahead of the consumer
 * than {@link StreamCredit} grants (flow control), so a slow consumer never buffers an unbounded stream.
 */
final class ChunkIterator implements ToolStream {

  private sealed interface Event permits Chunk, Failed, Completed {}

  private record Chunk(StreamChunk chunk) implements Event {}

  private record Failed(RuntimeException error) implements Event {}

  private record Completed() implements Event {}

  private final CallRunner pool;
  private final PooledWorker worker;
  private final String toolName;
  private final Duration budget;
  private final long deadlineNanos;
  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final AtomicBoolean released = new AtomicBoolean();
  private final long startNanos;
  private final StreamCredit credit = new StreamCredit();
  private volatile StreamCall call;
  private StreamChunk next;
  private boolean finished;

  ChunkIterator(CallRunner pool, PooledWorker worker, String toolName, Duration budget, long deadlineNanos) {
    this.pool = pool;
    this.startNanos = pool.now();
    this.worker = worker;
    this.toolName = toolName;
    this.budget = budget;
    this.deadlineNanos = deadlineNanos;
  }

  void start(StreamCall call) {
    this.call = call;
  }

  ChunkListener listener() {
    return new ChunkListener() {
      @Override
      public void onChunk(StreamChunk chunk) {
        events.add(new Chunk(chunk));
      }

      @Override
      public void onError(RuntimeException error) {
        events.add(new Failed(error));
      }

      @Override
      public void onCompleted() {
        events.add(new Completed());
      }
    };
  }

  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (finished) {
      return false;
    }
    var event = take();
    switch (event) {
      case Chunk c -> {
        next = c.chunk();
        int grant = credit.consumed(next.data().length);
        if (grant > 0) {
          call.request(grant);
        }
        return true;
      }
      case Completed c -> {
        finish(false);
        return false;
      }
      case Failed f -> {
        if (CallErrors.isDeadline(f.error())) {
          pool.suspect(worker);
        }
        var error = pool.translateStreamError(f.error(), worker, toolName, budget);
        finish(true);
        throw error;
      }
    }
  }

  private Event take() {
    // The transport enforces the deadline too; this bound only guards against a lost terminal event.
    long waitNanos = deadlineNanos - pool.now() + TimeUnit.SECONDS.toNanos(5);
    try {
      var event = events.poll(Math.max(waitNanos, 0), TimeUnit.NANOSECONDS);
      if (event == null) {
        close();
        throw new CallTimeoutException(toolName, worker.id, budget, CallTimeoutException.Phase.RUNNING, "The stream went silent.");
      }
      return event;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new TransportException(toolName, worker.id, "CANCELLED", "Interrupted while reading the stream of '" + toolName + "'; it was cancelled.", e);
    }
  }

  @Override
  public StreamChunk next() {
    if (!hasNext()) {
      throw new NoSuchElementException("The stream of '" + toolName + "' has ended");
    }
    var chunk = next;
    next = null;
    return chunk;
  }

  @Override
  public void close() {
    if (!finished) {
      finished = true;
      var current = call;
      if (current != null) {
        current.cancel("closed by the consumer");
        pool.suspect(worker);
      }
    }
    release(false);
  }

  private void finish(boolean failed) {
    finished = true;
    release(failed);
  }

  private void release(boolean failed) {
    if (released.compareAndSet(false, true)) {
      pool.releaseStream(worker, toolName, startNanos, failed);
    }
  }
}
