package dev.snakepit.internal.process;

import java.time.Duration;

/**
 * The heartbeat settings a worker receives in {@code SNAKEPIT_HEARTBEAT_CONFIG}: how often it
 * calls the host's Heartbeat and when a dependent worker gives up on a silent host and exits.
 *
 * @param enabled whether the worker sends heartbeats
 * @param interval time between heartbeats
 * @param timeout how long one heartbeat may take
 * @param maxMissedHeartbeats missed heartbeats in a row after which a dependent worker exits
 * @param initialDelay delay before the first heartbeat
 * @param jitter random extra delay per heartbeat, so workers do not beat in step
 * @param dependent whether the worker exits when the host stops answering
 */
public record HeartbeatConfig(boolean enabled, Duration interval, Duration timeout, int maxMissedHeartbeats,
    Duration initialDelay, Duration jitter, boolean dependent) {

  /** The protocol's defaults: every 2 s, 10 s timeout, 3 missed, dependent. */
  public static HeartbeatConfig defaults() {
    return new HeartbeatConfig(true, Duration.ofSeconds(2), Duration.ofSeconds(10), 3, Duration.ofSeconds(2),
        Duration.ofMillis(500), true);
  }

  /** The JSON document of the launch contract. */
  public String toJson() {
    return "{\"enabled\":" + enabled + ",\"interval_ms\":" + interval.toMillis() + ",\"timeout_ms\":" + timeout.toMillis()
        + ",\"max_missed_heartbeats\":" + maxMissedHeartbeats + ",\"initial_delay_ms\":" + initialDelay.toMillis()
        + ",\"jitter_ms\":" + jitter.toMillis() + ",\"dependent\":" + dependent + "}";
  }
}
