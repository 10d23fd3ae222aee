package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Events emitted by Python tools ({@code snakepit_bridge.telemetry}) reach {@link PoolEventListener#telemetry}. */
@ExtendWith(LeakCheck.class)
class TelemetryIntegrationTest {
  private static final Duration BOUND = Duration.ofSeconds(10);

  static final class Events implements PoolEventListener {
    final List<TelemetryEvent> telemetry = new CopyOnWriteArrayList<>();
    final List<Object> lifecycle = new CopyOnWriteArrayList<>();

    @Override
    public void telemetry(TelemetryEvent event) {
      telemetry.add(event);
    }

    @Override
    public void poolStarted(PoolStarted event) {
      lifecycle.add(event);
    }

    @Override
    public void poolClosed(PoolClosed event) {
      lifecycle.add(event);
    }

    List<TelemetryEvent> named(String name) {
      return telemetry.stream().filter(e -> e.name().equals(name)).toList();
    }
  }

  private static SnakepitConfig.Builder observed(PoolEventListener listener) {
    return TestPools.config().adapter("snakepit_test_adapters.observed.ObservedAdapter").eventListener(listener);
  }

  @Test
  void aToolsCustomEventReachesTheListenerWithItsMeasurementsMetadataAndCorrelationId() {
    var events = new Events();
    try (var pit = Snakepit.start(observed(events).build())) {
      var options = CallOptions.defaults().withMetadata("correlation_id", "cid-tel-1");
      pit.execute("emit", Map.of("name", "model.predict", "count", 3, "tag", "blue"), options);

      Waiting.require("the event", BOUND, () -> !events.named("model.predict").isEmpty());
      var event = events.named("model.predict").getFirst();
      assertThat(event.workerId()).isEqualTo(pit.workerIds().getFirst());
      assertThat(event.measurements()).containsEntry("count", 3L).containsEntry("ratio", 0.5).containsEntry("label", "text");
      assertThat(event.metadata()).containsEntry("tag", "blue");
      assertThat(event.correlationId()).isEqualTo("cid-tel-1");
      var at = Instant.ofEpochSecond(0, event.timestampNanos());
      assertThat(Duration.between(at, Instant.now()).abs()).isLessThan(Duration.ofMinutes(1));
    }
  }

  @Test
  void aSpanInPythonArrivesAsStartAndStopOrExceptionEvents() {
    var events = new Events();
    try (var pit = Snakepit.start(observed(events).build())) {
      pit.execute("timed");
      assertThatThrownBy(() -> pit.execute("timed", Map.of("fail", true))).isInstanceOf(PythonException.class);

      Waiting.require("the exception event", BOUND, () -> !events.named("work.block.exception").isEmpty());
      assertThat(events.named("work.block.start")).hasSize(2);
      assertThat(events.named("work.block.stop")).singleElement()
          .satisfies(e -> assertThat((Long) e.measurements().get("duration")).isPositive());
      assertThat(events.named("work.block.exception").getFirst().metadata())
          .containsEntry("error_type", "RuntimeError").containsEntry("kind", "test");
    }
  }

  @Test
  void everyWorkerStreamsItsEventsIncludingReplacementsAfterACrash() {
    var events = new Events();
    try (var pit = Snakepit.start(observed(events).build())) {
      var first = pit.workerIds().getFirst();
      pit.execute("emit", Map.of("name", "before", "count", 1, "tag", "a"));
      ProcessHandle.of(pit.workerPids().getFirst()).orElseThrow().destroyForcibly();
      Waiting.require("a replacement worker", Duration.ofSeconds(20),
          () -> pit.stats().workers() == 1 && !pit.workerIds().getFirst().equals(first));
      pit.execute("emit", Map.of("name", "after", "count", 2, "tag", "b"));

      Waiting.require("the replacement's event", BOUND, () -> !events.named("after").isEmpty());
      assertThat(events.named("after").getFirst().workerId()).isNotEqualTo(first).isEqualTo(pit.workerIds().getFirst());
    }
  }

  @Test
  void listenersHearThePoolStartWithItsHandleAndTheClose() {
    var events = new Events();
    try (var pit = Snakepit.start(observed(events).poolName("lifecycle").build())) {
      assertThat(events.lifecycle).singleElement().isInstanceOfSatisfying(PoolEventListener.PoolStarted.class, e -> {
        assertThat(e.poolName()).isEqualTo("lifecycle");
        assertThat(e.snakepit()).isSameAs(pit);
      });
    }
    assertThat(events.lifecycle).hasSize(2).last().isEqualTo(new PoolEventListener.PoolClosed("lifecycle"));
  }
}
