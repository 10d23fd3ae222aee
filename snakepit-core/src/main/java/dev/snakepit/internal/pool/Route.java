package dev.snakepit.internal.pool;

import dev.snakepit.Affinity;

/**
 * Which session a call belongs to and how it follows its bound worker; calls outside sessions have
 * no route (null).
 *
 * @param sessionId the session
 * @param affinity how strictly the call follows the session's worker
 */
record Route(String sessionId, Affinity affinity) {
  /** Whether the call must run on the session's worker (no other worker may take it). */
  boolean strict() {
    return affinity != Affinity.HINT;
  }
}
