package dev.snakepit.internal.pool;

import dev.snakepit.internal.time.Scheduler;
import java.util.concurrent.CompletableFuture;

/** A call waiting in the {@link WaitQueue} for a worker. */
final class Waiter {
  final String toolName;
  final Route route;
  final CompletableFuture<PooledWorker> future = new CompletableFuture<>();
  /** Expires the wait; set once queued, cancelled when a worker is handed over. */
  Scheduler.Cancellable timeout = () -> {};

  Waiter(String toolName, Route route) {
    this.toolName = toolName;
    this.route = route;
  }
}
