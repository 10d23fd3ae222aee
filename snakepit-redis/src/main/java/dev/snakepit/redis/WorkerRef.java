package dev.snakepit.redis;

import java.util.Objects;

/**
 * One incarnation of a remote worker: its endpoint ({@code host:port}) and the incarnation id the
 * worker reported when the pool connected. A restarted worker on the same endpoint has a new
 * incarnation id, so a session bound to the old one is known to have lost its state.
 *
 * @param endpoint the worker's {@code host:port}
 * @param incarnationId the id of this run of the worker process
 */
public record WorkerRef(String endpoint, String incarnationId) {
  /** Validates both parts (non-blank, no line breaks). */
  public WorkerRef {
    requireText(endpoint, "endpoint");
    requireText(incarnationId, "incarnationId");
  }

  static String requireText(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank() || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new IllegalArgumentException(name + " must be non-blank text without line breaks, got '" + value + "'");
    }
    return value;
  }

  @Override
  public String toString() {
    return endpoint + "#" + incarnationId;
  }
}
