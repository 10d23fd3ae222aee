package dev.snakepit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-call options. Immutable: each {@code with...} returns a copy. Start from {@link #defaults()}.
 *
 * @param timeout the call's whole time budget (queueing included); null means the pool's call timeout
 * @param sessionId the session the call belongs to; null or empty for none
 * @param metadata extra request metadata sent to the worker (e.g. {@code correlation_id})
 * @param idempotent whether the call may be retried on another worker when its worker crashes mid-call
 * @param affinity how a session call follows its bound worker; null means the session's or pool's default
 */
public record CallOptions(Duration timeout, String sessionId, Map<String, String> metadata, boolean idempotent,
    Affinity affinity) {
  private static final CallOptions DEFAULTS = new CallOptions(null, null, Map.of(), false, null);

  /** Validates and copies. */
  public CallOptions {
    if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
  }

  /** No timeout override, no session, no metadata, not idempotent. */
  public static CallOptions defaults() {
    return DEFAULTS;
  }

  /** A copy with this time budget. */
  public CallOptions withTimeout(Duration timeout) {
    return new CallOptions(Objects.requireNonNull(timeout, "timeout"), sessionId, metadata, idempotent, affinity);
  }

  /** A copy bound to this session id. */
  public CallOptions withSessionId(String sessionId) {
    return new CallOptions(timeout, sessionId, metadata, idempotent, affinity);
  }

  /** A copy with one more metadata entry. */
  public CallOptions withMetadata(String key, String value) {
    var copy = new LinkedHashMap<>(metadata);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new CallOptions(timeout, sessionId, copy, idempotent, affinity);
  }

  /** A copy marked idempotent (or not). */
  public CallOptions withIdempotent(boolean idempotent) {
    return new CallOptions(timeout, sessionId, metadata, idempotent, affinity);
  }

  /** A copy with this session affinity mode. */
  public CallOptions withAffinity(Affinity affinity) {
    return new CallOptions(timeout, sessionId, metadata, idempotent, affinity);
  }

  /** The timeout override, if any. */
  public Optional<Duration> timeoutOverride() {
    return Optional.ofNullable(timeout);
  }
}
