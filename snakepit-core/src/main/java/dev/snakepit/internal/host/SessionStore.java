package dev.snakepit.internal.host;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Host-owned sessions. Snakepit workers call InitializeSession before every tool call, so
 * create-or-touch must be idempotent and cheap.
 */
public final class SessionStore {
  /** One session's record. */
  public record Session(String id, Instant createdAt, Map<String, String> metadata, long lastAccessNanos) {}

  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();

  /** Creates the session, or touches it when it exists. */
  public Session createOrTouch(String id, Map<String, String> metadata) {
    long now = System.nanoTime();
    return sessions.compute(id, (key, old) -> old == null
        ? new Session(key, Instant.now(), Map.copyOf(metadata), now)
        : new Session(key, old.createdAt(), old.metadata(), now));
  }

  /** The session, if it exists. */
  public Optional<Session> get(String id) {
    return Optional.ofNullable(sessions.get(id));
  }

  /** Removes the session; true when it existed. */
  public boolean remove(String id) {
    return sessions.remove(id) != null;
  }

  /** Number of live sessions. */
  public int size() {
    return sessions.size();
  }
}
