package dev.snakepit.internal.pool;

import dev.snakepit.SessionDirectory;
import dev.snakepit.SessionDirectory.Binding;
import dev.snakepit.SessionDirectory.WorkerIncarnation;
import dev.snakepit.SessionException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this replica's session routing in step with a {@link SessionDirectory} shared by several
 * JVM replicas: before a session call is dispatched, the session is pinned to the remote worker
 * incarnation the directory names (binding it there first when it has no binding yet), so its
 * calls reach one worker whichever replica they come through. The directory is called without the
 * pool's lock; the pin itself is a short step under the
 * pool lock.
 *
 * <p>A bound worker that is gone keeps the pool's usual semantics: a strict session fails with
 * {@code WORKER_LOST} (its state is gone; the directory keeps the binding until the session
 * closes), a {@code HINT} session is moved with the binding's fencing token, so when two replicas
 * notice the loss together only one move wins and both follow it.
 */
final class SharedSessions {
  private static final Logger LOG = LoggerFactory.getLogger(SharedSessions.class);

  private final SessionDirectory directory;
  private final Dispatcher dispatcher;
  /** The bindings this replica holds (session to the binding it last saw), for touch, move and release. */
  private final Map<String, Binding> held = new ConcurrentHashMap<>();

  SharedSessions(SessionDirectory directory, Dispatcher dispatcher) {
    this.directory = directory;
    this.dispatcher = dispatcher;
  }

  /**
   * Pins the call's session to the worker the directory names; a no-op when no remote worker serves.
   *
   * @throws SessionException {@code WORKER_LOST} when a strict session's worker is gone,
   *     {@code DIRECTORY_UNAVAILABLE} when the directory failed
   */
  void place(Route route, String toolName) {
    var sessionId = route.sessionId();
    try {
      var binding = held.get(sessionId);
      WorkerIncarnation candidate = null;
      if (binding != null && pin(sessionId, binding.worker())) {
        if (directory.touch(sessionId, binding.fencingToken())) {
          return;
        }
        // Expired in the directory, or another replica moved it: ask again, offering the worker
        // that holds the state as far as this replica knows, so an expiry alone never moves it.
        candidate = binding.worker();
        binding = null;
      }
      if (binding == null) {
        candidate = candidate != null ? candidate : placementCandidate(sessionId);
        if (candidate == null) {
          return;
        }
        binding = directory.bind(sessionId, candidate);
        held.put(sessionId, binding);
        if (pin(sessionId, binding.worker())) {
          return;
        }
      }
      if (route.strict()) {
        throw workerLost(route, toolName, binding);
      }
      var target = placementCandidate(sessionId);
      if (target == null) {
        return;
      }
      var moved = directory.move(sessionId, binding.fencingToken(), target);
      LOG.info("Session '{}' moved from lost worker {} to {} (fencing token {})", sessionId, binding.worker(),
          moved.worker(), moved.fencingToken());
      held.put(sessionId, moved);
      pin(sessionId, moved.worker());
    } catch (SessionException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new SessionException(sessionId, SessionException.Reason.DIRECTORY_UNAVAILABLE, toolName, null,
          "Session '" + sessionId + "': the session directory " + directory + " failed, so the call did not run (a"
              + " replica that guessed could bind the session to a second worker): " + e.getMessage(), e);
    }
  }

  /** Releases the session's binding (it was closed here); a failure is logged, the binding then expires by its TTL. */
  void release(String sessionId) {
    var binding = held.remove(sessionId);
    if (binding == null) {
      return;
    }
    try {
      directory.release(sessionId, binding.fencingToken());
    } catch (RuntimeException e) {
      LOG.warn("Releasing session '{}' in {} failed; its binding expires with the directory's TTL", sessionId,
          directory, e);
    }
  }

  /**
   * Forgets the session here without releasing its binding: it expired on this replica only, and
   * another replica may still use it (the directory's own TTL ends it when nobody does).
   */
  void forget(String sessionId) {
    held.remove(sessionId);
  }

  /**
   * The remote worker this replica would bind a session to: the session's own while it serves, else
   * the least busy one, else any serving one; null when no remote worker serves (local pools).
   */
  private WorkerIncarnation placementCandidate(String sessionId) {
    dispatcher.lock.lock();
    try {
      var bound = dispatcher.router.boundWorker(sessionId);
      for (var worker : new PooledWorker[] {bound, dispatcher.leastBusy()}) {
        if (worker != null && worker.state == PooledWorker.State.READY && worker.process.remoteIncarnation() != null) {
          return worker.process.remoteIncarnation();
        }
      }
      return dispatcher.workers.stream().filter(w -> w.state == PooledWorker.State.READY)
          .map(w -> w.process.remoteIncarnation()).filter(Objects::nonNull).findFirst().orElse(null);
    } finally {
      dispatcher.lock.unlock();
    }
  }

  /**
   * Binds the session to a slot on {@code incarnation} (the least busy serving one), unless it is
   * bound to one already; false when no slot of this pool is on that incarnation any more.
   */
  private boolean pin(String sessionId, WorkerIncarnation incarnation) {
    dispatcher.lock.lock();
    try {
      var bound = dispatcher.router.boundWorker(sessionId);
      if (bound != null && !SessionRouter.gone(bound) && incarnation.equals(bound.process.remoteIncarnation())) {
        return true;
      }
      PooledWorker best = null;
      for (var worker : dispatcher.workers) {
        if (!SessionRouter.gone(worker) && incarnation.equals(worker.process.remoteIncarnation())
            && (best == null || worker.inFlight < best.inFlight)) {
          best = worker;
        }
      }
      if (best == null) {
        return false;
      }
      dispatcher.router.bind(sessionId, best);
      return true;
    } finally {
      dispatcher.lock.unlock();
    }
  }

  private static SessionException workerLost(Route route, String toolName, Binding binding) {
    return new SessionException(route.sessionId(), SessionException.Reason.WORKER_LOST, toolName,
        binding.worker().toString(),
        "Session '" + route.sessionId() + "' is bound (shared session directory, fencing token " + binding.fencingToken()
            + ") to remote worker " + binding.worker() + ", which this pool no longer has; its Python-side state is"
            + " gone. With " + route.affinity() + " affinity the call is not moved to another worker: close the session"
            + " and start a new one (or use HINT affinity).");
  }
}
