package dev.snakepit.internal.pool;

import dev.snakepit.Affinity;
import dev.snakepit.SessionException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Session affinity: which worker each session is bound to, and where a session's call may run
 * under the three {@link Affinity} modes. Not thread-safe: the pool's lock guards it.
 */
final class SessionRouter {
  /** Where a session's call goes. */
  sealed interface Choice permits Run, Queue, Lost, BoundBusy {}

  /** Run on this worker now. */
  record Run(PooledWorker worker) implements Choice {}

  /** Wait in the queue (no suitable worker is free). */
  record Queue() implements Choice {}

  /** Fail: the session's worker is gone and the affinity is strict. */
  record Lost(PooledWorker worker) implements Choice {}

  /** Fail fast: the session's worker is busy ({@link Affinity#STRICT_FAIL_FAST}). */
  record BoundBusy(PooledWorker worker) implements Choice {}

  private static final Queue QUEUE = new Queue();

  /** Session id to the worker its calls are bound to (null until a first call gets one). */
  private final Map<String, PooledWorker> bindings = new HashMap<>();
  private final int workerConcurrency;

  SessionRouter(int workerConcurrency) {
    this.workerConcurrency = workerConcurrency;
  }

  /**
   * Decides where a session's call runs; binds the session to {@code leastBusy}'s pick when it has
   * no (live) worker yet, under the same lock, so two concurrent first calls agree on one worker.
   */
  Choice choose(Route route, Supplier<PooledWorker> leastBusy) {
    var bound = bindings.get(route.sessionId());
    if (bound != null && gone(bound)) {
      if (route.strict()) {
        return new Lost(bound);
      }
      bound = null;
    }
    if (bound == null) {
      var worker = leastBusy.get();
      bindings.put(route.sessionId(), worker);
      return worker == null ? QUEUE : new Run(worker);
    }
    if (bound.state == PooledWorker.State.READY && bound.inFlight < workerConcurrency) {
      return new Run(bound);
    }
    return switch (route.affinity()) {
      case STRICT_FAIL_FAST -> new BoundBusy(bound);
      case HINT -> {
        var other = leastBusy.get();
        yield other == null ? QUEUE : new Run(other);
      }
      case STRICT_QUEUE -> QUEUE;
    };
  }

  /**
   * Whether a queued call of {@code route} may take {@code worker}; binds the session to it when the
   * session has no live worker.
   */
  boolean mayTake(Route route, PooledWorker worker) {
    var bound = bindings.get(route.sessionId());
    if (bound == null || bound.state == PooledWorker.State.DEAD) {
      bindings.put(route.sessionId(), worker);
      return true;
    }
    return bound == worker || !route.strict();
  }

  /** Whether the session is bound to {@code worker}. */
  boolean isBoundTo(String sessionId, PooledWorker worker) {
    return bindings.get(sessionId) == worker;
  }

  /** The session's worker, or null. */
  PooledWorker boundWorker(String sessionId) {
    return bindings.get(sessionId);
  }

  /** Binds the session to {@code worker} (the shared session directory decided). */
  void bind(String sessionId, PooledWorker worker) {
    bindings.put(sessionId, worker);
  }

  /** Forgets the session's binding. */
  void unbind(String sessionId) {
    bindings.remove(sessionId);
  }

  /** Whether the worker takes no more calls (dead, or retiring after a recycle). */
  static boolean gone(PooledWorker worker) {
    return worker.state == PooledWorker.State.DEAD || worker.state == PooledWorker.State.RETIRING;
  }

  /** The error of a strict call whose session's worker is gone. */
  static SessionException workerLost(Route route, String toolName, PooledWorker lost) {
    return new SessionException(route.sessionId(), SessionException.Reason.WORKER_LOST, toolName, lost.id,
        "Session '" + route.sessionId() + "' was bound to worker " + lost.id + ", which "
            + (lost.state == PooledWorker.State.RETIRING || lost.replacing ? "was recycled" : "died")
            + "; its Python-side state is gone. With " + route.affinity() + " affinity the call is not moved to"
            + " another worker: close the session and start a new one (or use HINT affinity).");
  }
}
