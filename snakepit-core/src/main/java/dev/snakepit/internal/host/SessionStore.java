package dev.snakepit.internal.host;

import dev.snakepit.internal.time.Ticker;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Host-owned sessions: create or touch (idempotent and cheap: Snakepit workers call
 * InitializeSession before every tool call), a cap on their number, and expiry of idle ones.
 */
public final class SessionStore {
  /** One session's record. */
  public record Session(String id, Instant createdAt, Map<String, String> metadata, long lastAccessNanos) {}

  /** Thrown by {@link #createOrTouch} when a new session would exceed the cap. */
  public static final class LimitReachedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LimitReachedException(int limit) {
      super("the pool already has " + limit + " sessions (maxSessions); close sessions you no longer need or raise the limit",
          null, false, false);
    }
  }

  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Consumer<String>> removalListeners = new CopyOnWriteArrayList<>();
  private final int maxSessions;
  private final Ticker ticker;

  /** A store holding at most {@code maxSessions} sessions, on the system clock. */
  public SessionStore(int maxSessions) {
    this(maxSessions, Ticker.system());
  }

  /** A store holding at most {@code maxSessions} sessions, reading time from {@code ticker}. */
  public SessionStore(int maxSessions, Ticker ticker) {
    this.maxSessions = maxSessions;
    this.ticker = ticker;
  }

  /** Calls {@code listener} with the id on every {@link #remove} and expiry, whether or not the session existed (to drop per-session state). */
  public void onRemove(Consumer<String> listener) {
    removalListeners.add(listener);
  }

  /** Creates the session, or touches it when it exists; throws {@link LimitReachedException} at the cap. */
  public Session createOrTouch(String id, Map<String, String> metadata) {
    long now = ticker.read();
    return sessions.compute(id, (key, old) -> {
      if (old == null) {
        // The count may overshoot by the number of racing creators; the cap is a safety net, not a quota.
        if (sessions.size() >= maxSessions) {
          throw new LimitReachedException(maxSessions);
        }
        return new Session(key, Instant.now(), Map.copyOf(metadata), now);
      }
      return new Session(key, old.createdAt(), old.metadata(), now);
    });
  }

  /** The session, if it exists. */
  public Optional<Session> get(String id) {
    return Optional.ofNullable(sessions.get(id));
  }

  /** Removes the session; true when it existed. */
  public boolean remove(String id) {
    boolean existed = sessions.remove(id) != null;
    removalListeners.forEach(listener -> listener.accept(id));
    return existed;
  }

  /** Removes sessions idle since before {@code nowNanos - ttlNanos}; returns their ids. */
  public List<String> expire(long nowNanos, long ttlNanos) {
    var expired = new ArrayList<String>();
    for (var session : sessions.values()) {
      if (nowNanos - session.lastAccessNanos() > ttlNanos && sessions.remove(session.id(), session)) {
        expired.add(session.id());
      }
    }
    expired.forEach(id -> removalListeners.forEach(listener -> listener.accept(id)));
    return expired;
  }

  /** Number of live sessions. */
  public int size() {
    return sessions.size();
  }
}
