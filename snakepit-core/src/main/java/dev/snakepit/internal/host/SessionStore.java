package dev.snakepit.internal.host;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Host-owned sessions. Snakepit workers call InitializeSession before every tool call, so
 * create-or-touch must be idempotent and cheap.
 */
public final class SessionStore {
  /** One session's record. */
  public record Session(String id, Instant createdAt, Map<String, String> metadata, long lastAccessNanos) {}

  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Consumer<String>> removalListeners = new CopyOnWriteArrayList<>();

  /** Calls {@code listener} with the id on every {@link #remove}, whether or not the session existed (to drop per-session state). */
  public void onRemove(Consumer<String> listener) {
    removalListeners.add(listener);
  }

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
    boolean existed = sessions.remove(id) != null;
    removalListeners.forEach(listener -> listener.accept(id));
    return existed;
  }

  /** Number of live sessions. */
  public int size() {
    return sessions.size();
  }
}
