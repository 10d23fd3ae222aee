package dev.snakepit.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.CallOptions;
import dev.snakepit.HostTool;
import dev.snakepit.ParamSpec;
import dev.snakepit.PoolEventListener;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.junit.SnakepitTest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Micrometer binding against a real pool: a SimpleMeterRegistry for exact values and a
 * PrometheusMeterRegistry for what a scrape shows, both fed by one {@link SnakepitMetrics}.
 */
@SnakepitTest(adapter = "metrics_test_adapters.metered.MeteredAdapter", pythonPath = "src/test/python",
    poolName = "metered", configurers = SnakepitMetricsTest.WithMetrics.class)
class SnakepitMetricsTest {
  static final SimpleMeterRegistry SIMPLE = new SimpleMeterRegistry();
  static final PrometheusMeterRegistry PROMETHEUS = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  static final CompositeMeterRegistry REGISTRY = new CompositeMeterRegistry();

  static {
    REGISTRY.add(SIMPLE);
    REGISTRY.add(PROMETHEUS);
  }

  /** What a user writes: one listener, and a host tool to see host calls measured. */
  static final class WithMetrics implements SnakepitTest.Configurer {
    @Override
    public void configure(SnakepitConfig.Builder builder) {
      builder.eventListener(SnakepitMetrics.builder(REGISTRY).tags("app", "test").telemetryTags("model").build())
          .hostTool(HostTool.builder("double_it")
              .param(ParamSpec.required("x", ParamSpec.NUMBER, "a number"))
              .handler((args, ctx) -> ((Number) args.get("x")).intValue() * 2)
              .build());
    }
  }

  private static RequiredSearch find(String name) {
    return SIMPLE.get(name).tag("pool", "metered").tag("app", "test");
  }

  private static void await(String what, BooleanSupplier condition) {
    Waiting.require(what, Duration.ofSeconds(10), condition, PROMETHEUS::scrape);
  }


  /** The value of the first sample of {@code metric} whose labels include all of {@code labels}, in a scrape. */
  private static Optional<Double> sample(String scrape, String metric, String... labels) {
    var line = Pattern.compile("^" + Pattern.quote(metric) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE).matcher(scrape);
    while (line.find()) {
      var found = true;
      for (var label : labels) {
        found &= line.group(1).contains(label);
      }
      if (found) {
        return Optional.of(Double.parseDouble(line.group(2)));
      }
    }
    return Optional.empty();
  }

  private static long callCount(String tool, String outcome) {
    var timer = SIMPLE.find("snakepit.calls").tag("pool", "metered").tag("tool", tool).tag("outcome", outcome).timer();
    return timer == null ? 0 : timer.count();
  }

  @Test
  void theCallTimerAndTheQueueGaugeMoveWithTrafficInTheRegistryAndTheScrape(Snakepit pit) {
    var queue = find("snakepit.queue.depth").gauge();
    assertThat(queue.value()).isZero();
    assertThat(sample(PROMETHEUS.scrape(), "snakepit_queue_depth", "pool=\"metered\"")).contains(0.0);

    // The only worker runs a long call, so the next call waits in the queue.
    var blocker = pit.executeAsync("sleep", Map.of("ms", 60_000));
    await("the blocking call to start", () -> pit.stats().busy() == 1);
    var queued = pit.executeAsync("add", Map.of("a", 20, "b", 22));
    await("the second call to be queued", () -> pit.stats().queued() == 1);

    assertThat(queue.value()).isEqualTo(1.0);
    assertThat(sample(PROMETHEUS.scrape(), "snakepit_queue_depth", "pool=\"metered\"")).contains(1.0);
    assertThat(sample(PROMETHEUS.scrape(), "snakepit_calls_active", "pool=\"metered\"")).contains(1.0);

    blocker.cancel(true);
    assertThat(queued.join().asLong()).isEqualTo(42);
    await("the add call to be timed", () -> callCount("add", "success") == 1);

    assertThat(queue.value()).isZero();
    var scrape = PROMETHEUS.scrape();
    assertThat(sample(scrape, "snakepit_queue_depth", "pool=\"metered\"")).contains(0.0);
    assertThat(sample(scrape, "snakepit_calls_seconds_count", "tool=\"add\"", "outcome=\"success\"", "error=\"none\"",
        "app=\"test\"")).contains(1.0);
    assertThat(sample(scrape, "snakepit_calls_seconds_sum", "tool=\"add\"", "outcome=\"success\"")).hasValueSatisfying(
        seconds -> assertThat(seconds).isPositive());
    assertThatThrownBy(blocker::join).isInstanceOf(CancellationException.class);
    await("the cancelled call to be timed", () -> callCount("sleep", "failure") == 1);
    assertThat(SIMPLE.get("snakepit.calls").tag("tool", "sleep").tag("error", "timeout").timer().count()).isEqualTo(1);
  }

  @Test
  void workersPayloadsAndHostToolCallsAreMeasured(Snakepit pit) {
    pit.execute("echo_bytes", Map.of("data", new byte[1000]));
    assertThat(pit.execute("call_host", Map.of("tool", "double_it", "arguments", Map.of("x", 21))).asLong()).isEqualTo(42);
    await("the calls to be measured", () -> callCount("call_host", "success") == 1 && callCount("echo_bytes", "success") == 1);

    assertThat(find("snakepit.workers").tag("state", "ready").gauge().value()).isEqualTo(1.0);
    assertThat(find("snakepit.worker.startup").timer().count()).isEqualTo(1);
    assertThat(find("snakepit.worker.crashes").functionCounter().count()).isZero();
    assertThat(find("snakepit.shm.fallbacks").functionCounter().count()).isZero();
    var request = find("snakepit.payload.bytes").tag("tool", "echo_bytes").tag("direction", "request").summary();
    var response = find("snakepit.payload.bytes").tag("tool", "echo_bytes").tag("direction", "response").summary();
    assertThat(request.totalAmount()).isGreaterThanOrEqualTo(1000);
    assertThat(response.totalAmount()).isEqualTo(1000);
    var host = find("snakepit.host.calls").tag("tool", "double_it").tag("outcome", "success").timer();
    assertThat(host.count()).isEqualTo(1);
    assertThat(sample(PROMETHEUS.scrape(), "snakepit_host_calls_seconds_count", "tool=\"double_it\"")).contains(1.0);
  }

  @Test
  void pythonTelemetryBecomesCountersTimersAndSummaries(Snakepit pit) {
    pit.execute("emit_event", Map.of("name", "model.predict", "rows", 120, "model", "v3"));
    pit.execute("emit_event", Map.of("name", "model.predict", "rows", 80, "model", "v3"));
    pit.execute("timed_block");
    await("the telemetry to arrive", () -> SIMPLE.find("snakepit.telemetry.duration").timer() != null
        && SIMPLE.find("snakepit.telemetry.events").tag("event", "model.predict").counters().stream()
            .mapToDouble(c -> c.count()).sum() == 2);

    var events = find("snakepit.telemetry.events").tag("event", "model.predict").tag("model", "v3").counter();
    assertThat(events.count()).isEqualTo(2);
    // Only the chosen metadata key became a tag.
    assertThat(events.getId().getTag("request")).isNull();
    var rows = find("snakepit.telemetry.measurement").tag("event", "model.predict").tag("measurement", "rows").summary();
    assertThat(rows.count()).isEqualTo(2);
    assertThat(rows.totalAmount()).isEqualTo(200);
    // system_time is a timestamp, not a quantity.
    assertThat(SIMPLE.find("snakepit.telemetry.measurement").tag("measurement", "system_time").summary()).isNull();
    assertThat(find("snakepit.telemetry.duration").tag("event", "model.load.stop").timer().count()).isEqualTo(1);
    assertThat(find("snakepit.telemetry.events").tag("event", "model.load.start").counter().count()).isEqualTo(1);
  }

  @Test
  void tagValuesAreCappedAndDropsCounted(Snakepit pit) {
    var registry = new SimpleMeterRegistry();
    var metrics = SnakepitMetrics.builder(registry).maxTelemetryEvents(2).maxToolTags(1).build();
    metrics.poolStarted(new PoolEventListener.PoolStarted("capped", pit));
    for (var name : new String[] {"a", "b", "c", "d"}) {
      metrics.telemetry(new PoolEventListener.TelemetryEvent("w1", name, Map.of("n", 1L), Map.of(), 0, null));
    }
    metrics.telemetry(new PoolEventListener.TelemetryEvent("w1", SnakepitMetrics.DROPPED_EVENT, Map.of("count", 7L), Map.of(), 0, null));
    for (var tool : new String[] {"known", "made_up_1", "made_up_2"}) {
      metrics.callFinished(new PoolEventListener.CallFinished(tool, "w1", null, Duration.ofMillis(1), null, 10, 10));
    }

    assertThat(registry.get("snakepit.telemetry.events").counters()).extracting(c -> c.getId().getTag("event"))
        .containsExactlyInAnyOrder("a", "b", SnakepitMetrics.OTHER);
    assertThat(registry.get("snakepit.telemetry.events").tag("event", SnakepitMetrics.OTHER).counter().count()).isEqualTo(2);
    assertThat(registry.get("snakepit.telemetry.dropped").counter().count()).isEqualTo(7);
    assertThat(registry.get("snakepit.calls").timers()).extracting(t -> t.getId().getTag("tool"))
        .containsExactlyInAnyOrder("known", SnakepitMetrics.OTHER);
    metrics.poolClosed(new PoolEventListener.PoolClosed("capped"));
    assertThat(registry.find("snakepit.queue.depth").gauge()).isNull();
  }

  @Test
  void aClosedPoolsGaugesLeaveTheRegistryAndEventsOfStartingWorkersAreKept() {
    MeterRegistry registry = new SimpleMeterRegistry();
    var config = SnakepitConfig.builder().poolName("short-lived").workers(1)
        .eventListener(SnakepitMetrics.of(registry)).build();
    try (var pit = Snakepit.start(config)) {
      pit.execute("add", Map.of("a", 1, "b", 1), CallOptions.defaults());
      assertThat(registry.get("snakepit.queue.depth").tag("pool", "short-lived").gauge().value()).isZero();
      // Recorded while the worker started, before the pool (and its name) existed.
      assertThat(registry.get("snakepit.worker.startup").tag("pool", "short-lived").timer().count()).isEqualTo(1);
    }
    assertThat(registry.find("snakepit.queue.depth").gauge()).isNull();
    assertThat(registry.find("snakepit.workers").gauges()).isEmpty();
    assertThat(registry.find("snakepit.calls").tag("pool", "short-lived").timer()).isNotNull();
  }
}
