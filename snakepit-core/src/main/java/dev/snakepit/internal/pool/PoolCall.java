package dev.snakepit.internal.pool;

import dev.snakepit.internal.transport.ToolRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One call through the pool, from admission to outcome (OkHttp's {@code RealCall} is the model):
 * its encoded request, route, budget and deadline, its attempts, its state, and the one cancel
 * handle that reaches whatever it waits on now (its place in the queue or the transport call).
 * Unary calls, iterator streams and callback streams all carry one.
 */
final class PoolCall {
  /** Where the call is. */
  enum State { QUEUED, RUNNING, DONE }

  final ToolRequest request;
  /** The session route, or null outside sessions. */
  final Route route;
  final Duration budget;
  final long deadlineNanos;
  final long startNanos;
  final boolean idempotent;
  private final AtomicReference<CompletableFuture<?>> waitingOn = new AtomicReference<>();
  private volatile State state = State.QUEUED;
  private volatile int attempts;

  PoolCall(ToolRequest request, Route route, Duration budget, long startNanos, boolean idempotent) {
    this.request = request;
    this.route = route;
    this.budget = budget;
    this.startNanos = startNanos;
    this.deadlineNanos = startNanos + budget.toNanos();
    this.idempotent = idempotent;
  }

  String toolName() {
    return request.toolName();
  }

  /** Time left at {@code nowNanos} (negative once the deadline passed). */
  long remainingNanos(long nowNanos) {
    return deadlineNanos - nowNanos;
  }

  /** A new attempt starts: the call waits for a worker again. */
  int startAttempt() {
    state = State.QUEUED;
    return ++attempts;
  }

  /** The call now waits on {@code future}; {@link #cancel} cancels it. */
  <T> CompletableFuture<T> waitFor(CompletableFuture<T> future) {
    waitingOn.set(future);
    return future;
  }

  /** The call got a worker and its transport call is starting. */
  void running() {
    state = State.RUNNING;
  }

  /** The outcome is known. */
  void done() {
    state = State.DONE;
  }

  State state() {
    return state;
  }

  int attempts() {
    return attempts;
  }

  /** Cancels what the call waits on now: its place in the queue or its transport call. */
  void cancel() {
    var current = waitingOn.get();
    if (current != null) {
      current.cancel(true);
    }
  }
}
