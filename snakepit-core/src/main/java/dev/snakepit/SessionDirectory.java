package dev.snakepit;

import java.util.Objects;

/**
 * Where sessions live when several JVM replicas share the same remote workers: session to the
 * remote worker incarnation holding its state, so that a session's calls reach that worker from
 * whichever replica they come. Plug one in with {@link SnakepitConfig.Builder#sessionDirectory};
 * {@code dev.snakepit.redis.RedisSessionDirectory} (module {@code snakepit-redis}) is the shipped one.
 *
 * <p>The pool consults it only for session calls on remote workers: before a session's first call
 * on this replica ({@link #bind}), on each later call ({@link #touch}), when the bound worker is
 * lost and the session's affinity lets it move ({@link #move}), and when the session closes or
 * expires ({@link #release}). Every binding carries a <em>fencing token</em> that only grows, so
 * two replicas can never bind one session to two workers.
 *
 * <p>Implementations must be thread-safe, answer within a bounded time and report failures with a
 * {@link RuntimeException} that says what is unreachable and what to do; the pool fails the call
 * with it (it never waits for the directory beyond the implementation's own timeout).
 */
public interface SessionDirectory {
  /**
   * One run of a remote worker: its endpoint and the incarnation id it reported. A restarted worker
   * on the same endpoint is another incarnation, without the old one's session state.
   *
   * @param endpoint {@code host:port}
   * @param incarnationId the id of this run of the worker process
   */
  record WorkerIncarnation(String endpoint, String incarnationId) {
    /** Requires both parts. */
    public WorkerIncarnation {
      Objects.requireNonNull(endpoint, "endpoint");
      Objects.requireNonNull(incarnationId, "incarnationId");
    }

    @Override
    public String toString() {
      return endpoint + "#" + incarnationId;
    }
  }

  /**
   * The binding in force for a session.
   *
   * @param worker the worker incarnation holding the session's state
   * @param fencingToken the binding's token: presented to touch, move or release it
   */
  record Binding(WorkerIncarnation worker, long fencingToken) {
    /** Requires the worker. */
    public Binding {
      Objects.requireNonNull(worker, "worker");
    }
  }

  /**
   * Binds the session to {@code candidate} unless it is bound already, renewing the binding either
   * way; replicas racing on one session all get the same answer.
   *
   * @param sessionId the session
   * @param candidate the worker this replica would choose
   * @return the binding in force
   */
  Binding bind(String sessionId, WorkerIncarnation candidate);

  /**
   * Moves the session to {@code to} (its worker was lost), provided the binding still carries
   * {@code fencingToken} or the session has none any more.
   *
   * @param sessionId the session
   * @param fencingToken the token of the binding this replica saw
   * @param to the new worker
   * @return the binding in force: the new one, or the one another replica made first
   */
  Binding move(String sessionId, long fencingToken, WorkerIncarnation to);

  /**
   * Renews the binding, if {@code fencingToken} is still current.
   *
   * @param sessionId the session
   * @param fencingToken the token this replica holds
   * @return false when the binding is gone or belongs to a newer token
   */
  boolean touch(String sessionId, long fencingToken);

  /**
   * Removes the binding (the session closed or expired), if {@code fencingToken} is still current.
   *
   * @param sessionId the session
   * @param fencingToken the token this replica holds
   * @return false when the binding is gone or belongs to a newer token (then it is left alone)
   */
  boolean release(String sessionId, long fencingToken);
}
