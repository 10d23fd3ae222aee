package dev.snakepit.micrometer;

import dev.snakepit.PoolEventListener;
import dev.snakepit.Snakepit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Micrometer meters for one Snakepit pool, fed by its events. One line binds it:
 *
 * <pre>{@code
 * var pit = Snakepit.start(SnakepitConfig.builder().adapter("my_pkg.MyAdapter")
 *     .eventListener(SnakepitMetrics.of(registry))
 *     .build());
 * }</pre>
 *
 * <p>Every meter is tagged {@code pool} (the pool's name) plus any common tags given to the builder:
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code snakepit.calls}</td><td>timer</td><td>tool, outcome, error</td><td>calls, queueing included
 *       ({@code outcome} {@code success|failure}, {@code error} the lower-case {@code ErrorCode} or {@code none})</td></tr>
 *   <tr><td>{@code snakepit.payload.bytes}</td><td>summary</td><td>tool, direction</td><td>payload sizes,
 *       {@code request} (to Python) and {@code response} (from Python)</td></tr>
 *   <tr><td>{@code snakepit.queue.depth}</td><td>gauge</td><td></td><td>calls waiting for a worker</td></tr>
 *   <tr><td>{@code snakepit.queue.rejections}</td><td>counter</td><td></td><td>calls rejected by a full queue</td></tr>
 *   <tr><td>{@code snakepit.calls.active}</td><td>gauge</td><td></td><td>calls running on workers</td></tr>
 *   <tr><td>{@code snakepit.workers}</td><td>gauge</td><td>state</td><td>workers {@code ready}, {@code starting}, {@code retiring}</td></tr>
 *   <tr><td>{@code snakepit.worker.restarts|recycles|crashes|unhealthy}</td><td>counter</td><td></td><td>worker lifecycle</td></tr>
 *   <tr><td>{@code snakepit.worker.startup}</td><td>timer</td><td></td><td>from spawn to ready</td></tr>
 *   <tr><td>{@code snakepit.shm.fallbacks}</td><td>counter</td><td></td><td>large bytes arguments and results sent inside messages because the shared-memory hand-off failed</td></tr>
 *   <tr><td>{@code snakepit.sessions}</td><td>gauge</td><td></td><td>sessions alive</td></tr>
 *   <tr><td>{@code snakepit.breaker.open}</td><td>gauge</td><td></td><td>1 while calls fail fast</td></tr>
 *   <tr><td>{@code snakepit.host.calls}</td><td>timer</td><td>tool, outcome, exception</td><td>host tool handlers Python called</td></tr>
 *   <tr><td>{@code snakepit.telemetry.events}</td><td>counter</td><td>event (+ chosen metadata keys)</td><td>events Python tools emitted</td></tr>
 *   <tr><td>{@code snakepit.telemetry.duration}</td><td>timer</td><td>event</td><td>their {@code duration} measurement (ns)</td></tr>
 *   <tr><td>{@code snakepit.telemetry.measurement}</td><td>summary</td><td>event, measurement</td><td>their other numeric measurements</td></tr>
 *   <tr><td>{@code snakepit.telemetry.dropped}</td><td>counter</td><td></td><td>events a worker's full buffer dropped</td></tr>
 * </table>
 *
 * <p>Cardinality is guarded: at most {@link Builder#maxToolTags} tool names, {@link Builder#maxTelemetryEvents}
 * event names and {@link Builder#maxTagValues} values per other tag; later new values are tagged
 * {@value #OTHER}. Metadata of telemetry events becomes tags only for the keys named in
 * {@link Builder#telemetryTags}. Use one instance per pool; the pool's gauges are removed from the
 * registry when it closes.
 */
public final class SnakepitMetrics implements PoolEventListener {
  /** The tag value standing for every value past a tag's cap. */
  public static final String OTHER = "_other";
  /** The event a worker sends when its telemetry buffer dropped events (measurement {@code count}). */
  public static final String DROPPED_EVENT = "snakepit.telemetry.dropped";

  private static final Logger LOG = LoggerFactory.getLogger(SnakepitMetrics.class);
  private static final int MAX_EARLY_EVENTS = 10_000;

  private final MeterRegistry registry;
  private final Tags commonTags;
  private final TagLimiter tools;
  private final TagLimiter hostTools;
  private final TagLimiter events;
  private final TagLimiter measurements;
  private final Map<String, TagLimiter> telemetryTags;
  private final int maxTagValues;

  /** Tags of the pool being measured; null until it started (events until then wait in {@link #early}). */
  private volatile Tags poolTags;
  private final List<Consumer<Tags>> early = new ArrayList<>();
  private final List<Meter> poolMeters = new CopyOnWriteArrayList<>();
  private final Map<CallKey, Timer> callTimers = new ConcurrentHashMap<>();
  private final Map<PayloadKey, DistributionSummary> payloads = new ConcurrentHashMap<>();

  private record CallKey(String tool, String error) {}

  private record PayloadKey(String tool, String direction) {}

  private SnakepitMetrics(Builder b) {
    this.registry = b.registry;
    this.commonTags = b.tags;
    this.maxTagValues = b.maxTagValues;
    this.tools = new TagLimiter("tool", b.maxToolTags);
    this.hostTools = new TagLimiter("host tool", b.maxToolTags);
    this.events = new TagLimiter("event", b.maxTelemetryEvents);
    this.measurements = new TagLimiter("measurement", b.maxTagValues);
    var keys = new LinkedHashMap<String, TagLimiter>();
    for (var key : b.telemetryTags) {
      keys.put(key, new TagLimiter(key, b.maxTagValues));
    }
    this.telemetryTags = Map.copyOf(keys);
  }

  /** Meters with the default limits, no common tags, in {@code registry}. */
  public static SnakepitMetrics of(MeterRegistry registry) {
    return builder(registry).build();
  }

  /** A builder for meters in {@code registry}. */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(registry);
  }

  // ---------------------------------------------------------------------------------------------
  // Pool lifecycle: the gauges read Snakepit.stats()
  // ---------------------------------------------------------------------------------------------

  @Override
  public void poolStarted(PoolStarted event) {
    var tags = commonTags.and("pool", event.poolName());
    List<Consumer<Tags>> waiting;
    synchronized (early) {
      if (poolTags != null) {
        LOG.warn("SnakepitMetrics already measures a running pool; pool '{}' gets no gauges. Use one instance per pool.",
            event.poolName());
        return;
      }
      bindGauges(event.snakepit(), tags);
      poolTags = tags;
      waiting = new ArrayList<>(early);
      early.clear();
    }
    waiting.forEach(action -> action.accept(tags));
  }

  @Override
  public void poolClosed(PoolClosed event) {
    synchronized (early) {
      poolMeters.forEach(registry::remove);
      poolMeters.clear();
      // Cached meters carry this pool's tags; a pool started later gets its own.
      callTimers.clear();
      payloads.clear();
      poolTags = null;
    }
  }

  private void bindGauges(Snakepit pit, Tags tags) {
    gauge("snakepit.queue.depth", "Calls waiting for a free worker", pit, p -> p.stats().queued(), tags);
    gauge("snakepit.calls.active", "Calls running on workers", pit, p -> p.stats().busy(), tags);
    gauge("snakepit.workers", "Workers by state", pit, p -> p.stats().workers(), tags.and("state", "ready"));
    gauge("snakepit.workers", "Workers by state", pit, p -> p.stats().starting(), tags.and("state", "starting"));
    gauge("snakepit.workers", "Workers by state", pit, p -> p.stats().retiring(), tags.and("state", "retiring"));
    gauge("snakepit.sessions", "Sessions alive", pit, p -> p.stats().sessions(), tags);
    gauge("snakepit.breaker.open", "1 while the pool fails calls fast after failed worker starts", pit,
        p -> p.stats().breakerOpen() ? 1 : 0, tags);
    counter("snakepit.worker.restarts", "Workers started to replace one that died", pit, p -> p.stats().restarts(), tags);
    counter("snakepit.worker.recycles", "Workers replaced on purpose (calls, age, memory, stuck call)", pit,
        p -> p.stats().recycles(), tags);
    counter("snakepit.worker.crashes", "Workers that died unexpectedly", pit, p -> p.stats().crashes(), tags);
    counter("snakepit.worker.unhealthy", "Workers killed for failing health checks", pit, p -> p.stats().unhealthyKills(), tags);
    counter("snakepit.shm.fallbacks", "Large bytes arguments and results sent inside messages because the shared-memory"
        + " hand-off failed (/dev/shm full or gone)", pit, p -> p.stats().sharedMemoryFallbacks(), tags);
  }

  private void gauge(String name, String description, Snakepit pit, ToDoubleFunction<Snakepit> value, Tags tags) {
    poolMeters.add(Gauge.builder(name, pit, value).description(description).tags(tags).register(registry));
  }

  private void counter(String name, String description, Snakepit pit, ToDoubleFunction<Snakepit> value, Tags tags) {
    poolMeters.add(FunctionCounter.builder(name, pit, value).description(description).tags(tags).register(registry));
  }

  /** Runs {@code action} with the pool's tags, now or once the pool started (events of starting workers come first). */
  private void withPool(Consumer<Tags> action) {
    var tags = poolTags;
    if (tags != null) {
      action.accept(tags);
      return;
    }
    synchronized (early) {
      tags = poolTags;
      if (tags == null) {
        if (early.size() < MAX_EARLY_EVENTS) {
          early.add(action);
        }
        return;
      }
    }
    action.accept(tags);
  }

  // ---------------------------------------------------------------------------------------------
  // Calls
  // ---------------------------------------------------------------------------------------------

  @Override
  public void callFinished(CallFinished event) {
    withPool(tags -> {
      var tool = tools.admit(event.tool());
      var error = event.error() == null ? "none" : event.error().name().toLowerCase(Locale.ROOT);
      callTimers.computeIfAbsent(new CallKey(tool, error), key -> Timer.builder("snakepit.calls")
              .description("Tool calls, from the call to its result (queueing included)")
              .tags(tags)
              .tag("tool", key.tool())
              .tag("outcome", "none".equals(key.error()) ? "success" : "failure")
              .tag("error", key.error())
              .register(registry))
          .record(event.duration());
      payload(tags, tool, "request").record(event.bytesIn());
      if (event.succeeded()) {
        payload(tags, tool, "response").record(event.bytesOut());
      }
    });
  }

  private DistributionSummary payload(Tags tags, String tool, String direction) {
    return payloads.computeIfAbsent(new PayloadKey(tool, direction), key -> DistributionSummary.builder("snakepit.payload.bytes")
        .description("Payload bytes of tool calls: request (to Python) and response (from Python)")
        .baseUnit("bytes")
        .tags(tags)
        .tag("tool", key.tool())
        .tag("direction", key.direction())
        .register(registry));
  }

  @Override
  public void queueFull(QueueFull event) {
    withPool(tags -> Counter.builder("snakepit.queue.rejections")
        .description("Calls rejected because the wait queue was full")
        .tags(tags)
        .register(registry)
        .increment());
  }

  @Override
  public void workerReady(WorkerReady event) {
    withPool(tags -> Timer.builder("snakepit.worker.startup")
        .description("Worker start-up, from spawn to answering Ping")
        .tags(tags)
        .register(registry)
        .record(event.startupTime()));
  }

  @Override
  public void hostToolCalled(HostToolCalled event) {
    withPool(tags -> {
      var exception = event.errorType() == null ? "none" : event.errorType().substring(event.errorType().lastIndexOf('.') + 1);
      Timer.builder("snakepit.host.calls")
          .description("Host tool handlers run for Python callers")
          .tags(tags)
          .tag("tool", hostTools.admit(event.tool()))
          .tag("outcome", event.succeeded() ? "success" : "failure")
          .tag("exception", exception)
          .register(registry)
          .record(event.duration());
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Python telemetry
  // ---------------------------------------------------------------------------------------------

  @Override
  public void telemetry(TelemetryEvent event) {
    withPool(tags -> {
      if (DROPPED_EVENT.equals(event.name())) {
        Counter.builder("snakepit.telemetry.dropped")
            .description("Telemetry events a worker dropped because its buffer was full")
            .tags(tags)
            .register(registry)
            .increment(number(event.measurements().get("count")));
        return;
      }
      var eventTags = tags.and("event", events.admit(event.name()));
      var extra = eventTags;
      for (var entry : telemetryTags.entrySet()) {
        var value = event.metadata().get(entry.getKey());
        extra = extra.and(entry.getKey(), value == null ? "none" : entry.getValue().admit(value));
      }
      Counter.builder("snakepit.telemetry.events")
          .description("Telemetry events emitted by Python tools")
          .tags(extra)
          .register(registry)
          .increment();
      for (var measurement : event.measurements().entrySet()) {
        if (!(measurement.getValue() instanceof Number value) || "system_time".equals(measurement.getKey())) {
          continue;
        }
        if ("duration".equals(measurement.getKey())) {
          Timer.builder("snakepit.telemetry.duration")
              .description("The duration measurement (nanoseconds) of Python telemetry events, e.g. telemetry.span")
              .tags(eventTags)
              .register(registry)
              .record(value.longValue(), TimeUnit.NANOSECONDS);
        } else {
          DistributionSummary.builder("snakepit.telemetry.measurement")
              .description("Numeric measurements of Python telemetry events")
              .tags(eventTags)
              .tag("measurement", measurements.admit(measurement.getKey()))
              .register(registry)
              .record(value.doubleValue());
        }
      }
    });
  }

  private static double number(Object value) {
    return value instanceof Number n ? n.doubleValue() : 1;
  }

  @Override
  public String toString() {
    return "SnakepitMetrics{registry=" + registry.getClass().getSimpleName() + ", tags=" + commonTags
        + ", maxTagValues=" + maxTagValues + "}";
  }

  /** Options of {@link SnakepitMetrics}; every setter validates its argument. */
  public static final class Builder {
    private final MeterRegistry registry;
    private Tags tags = Tags.empty();
    private int maxToolTags = 100;
    private int maxTelemetryEvents = 100;
    private int maxTagValues = 50;
    private final List<String> telemetryTags = new ArrayList<>();

    private Builder(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Tags added to every meter (for example the application or region). */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = this.tags.and(Objects.requireNonNull(tags, "tags"));
      return this;
    }

    /** Tags added to every meter, as key/value pairs. */
    public Builder tags(String... keyValues) {
      this.tags = this.tags.and(Tags.of(keyValues));
      return this;
    }

    /** Most distinct tool names (Python tools, and host tools) tagged, 1 to 10,000 (default 100). */
    public Builder maxToolTags(int max) {
      this.maxToolTags = range("maxToolTags", max);
      return this;
    }

    /** Most distinct telemetry event names tagged, 1 to 10,000 (default 100). */
    public Builder maxTelemetryEvents(int max) {
      this.maxTelemetryEvents = range("maxTelemetryEvents", max);
      return this;
    }

    /** Most distinct values of each other tag (measurement names, telemetry metadata), 1 to 10,000 (default 50). */
    public Builder maxTagValues(int max) {
      this.maxTagValues = range("maxTagValues", max);
      return this;
    }

    /** Telemetry metadata keys that become tags of {@code snakepit.telemetry.events} (default none). */
    public Builder telemetryTags(String... keys) {
      for (var key : keys) {
        Objects.requireNonNull(key, "telemetryTags element");
        if (key.isBlank() || key.equals("pool") || key.equals("event")) {
          throw new IllegalArgumentException("telemetry tag keys must be non-blank and not 'pool' or 'event', was '" + key + "'");
        }
        telemetryTags.add(key);
      }
      return this;
    }

    /** Builds the listener; register it with {@code SnakepitConfig.Builder.eventListener}. */
    public SnakepitMetrics build() {
      return new SnakepitMetrics(this);
    }

    private static int range(String name, int value) {
      if (value < 1 || value > 10_000) {
        throw new IllegalArgumentException(name + " must be between 1 and 10000, was " + value);
      }
      return value;
    }
  }
}
