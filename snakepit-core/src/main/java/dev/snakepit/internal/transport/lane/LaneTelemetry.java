package dev.snakepit.internal.transport.lane;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.PoolEventListener.TelemetryEvent;
import dev.snakepit.internal.codec.Json;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Telemetry events from one worker's tools (docs/lane.md, "Telemetry"): each TELEMETRY frame is
 * decoded on the reading thread (a malformed one closes the lane like any bad frame) and its events
 * go to the sink on a thread of their own, in order, so a slow listener never holds up calls. Events
 * waiting for a slow listener are bounded: past {@link #MAX_WAITING} the newest are dropped, counted,
 * and reported as one {@code snakepit.telemetry.dropped} event, as the worker does for its buffer.
 */
final class LaneTelemetry {
  static final int MAX_WAITING = 8192;
  static final String DROPPED_EVENT = "snakepit.telemetry.dropped";
  /** What the host sends to start the worker's events flowing. */
  static final byte[] ENABLE = "{\"enabled\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private final String workerId;
  private final Consumer<TelemetryEvent> sink;
  private final ExecutorService delivery;
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();

  LaneTelemetry(String workerId, Consumer<TelemetryEvent> sink) {
    this.workerId = workerId;
    this.sink = sink;
    this.delivery = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("snakepit-lane-telemetry-" + workerId).factory());
  }

  /** One TELEMETRY frame: a JSON array of events. */
  void frame(ByteBuffer payload) {
    List<TelemetryEvent> events;
    try {
      events = decode(workerId, Json.readTree(LaneDecoding.bytes(payload), "TELEMETRY frame"));
    } catch (RuntimeException e) {
      throw new LaneFrames.LaneProtocolException("TELEMETRY payload is not a JSON array of events: " + e.getMessage());
    }
    int admitted = Math.max(0, Math.min(events.size(), MAX_WAITING - waiting.get()));
    if (admitted < events.size()) {
      dropped.addAndGet(events.size() - admitted);
    }
    if (admitted == 0) {
      return;
    }
    var batch = events.subList(0, admitted);
    waiting.addAndGet(admitted);
    try {
      delivery.execute(() -> deliver(batch));
    } catch (RejectedExecutionException closed) {
      // The lane is closing: events that arrive now have nobody left to hear them.
    }
  }

  private void deliver(List<TelemetryEvent> batch) {
    int lost = dropped.getAndSet(0);
    if (lost > 0) {
      sink.accept(new TelemetryEvent(workerId, DROPPED_EVENT, Map.of("count", (long) lost), Map.of(),
          System.currentTimeMillis() * 1_000_000L, null));
    }
    for (var event : batch) {
      sink.accept(event);
    }
    waiting.addAndGet(-batch.size());
  }

  /** Lets queued events reach the sink, then ends the delivery thread. */
  void close() {
    delivery.shutdown();
  }

  /** The events of a TELEMETRY frame, as listeners see them (measurements as Long, Double or String). */
  static List<TelemetryEvent> decode(String workerId, JsonNode array) {
    if (!array.isArray()) {
      throw new IllegalArgumentException("not an array");
    }
    var events = new ArrayList<TelemetryEvent>(array.size());
    for (var node : array) {
      var name = node.path("name");
      if (!name.isTextual() || name.textValue().isEmpty()) {
        throw new IllegalArgumentException("an event without a name");
      }
      var measurements = new LinkedHashMap<String, Object>();
      node.path("measurements").fields().forEachRemaining(e -> measurements.put(e.getKey(), measurement(e.getValue())));
      var metadata = new LinkedHashMap<String, String>();
      node.path("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
      var correlationId = node.path("correlation_id").asText("");
      events.add(new TelemetryEvent(workerId, name.textValue(), Map.copyOf(measurements), Map.copyOf(metadata),
          node.path("timestamp_ns").asLong(0), correlationId.isEmpty() ? null : correlationId));
    }
    return events;
  }

  private static Object measurement(JsonNode value) {
    if (value.isIntegralNumber()) {
      return value.asLong();
    }
    if (value.isNumber()) {
      return value.asDouble();
    }
    return value.asText();
  }
}
