package dev.snakepit.internal.remote;

import dev.snakepit.RemoteWorkers.HostPort;
import dev.snakepit.internal.transport.TransportFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.DoubleSupplier;

/**
 * Which remote workers are alive: re-resolves the target, health-checks every endpoint, and tells
 * the pool when a worker comes up, goes down, or was replaced by a new incarnation. Policy only:
 * time is an argument ({@link #tick(long)} returns the delay until it wants to run again, OkHttp's
 * {@code cleanup(now)} style), resolution and probes are injected, so tests drive it with a manual
 * clock and fakes. {@link RemoteMembershipDriver} runs it on a thread.
 *
 * <p>Per endpoint: PENDING (never answered) -> UP (answered; incarnation and capacity known) ->
 * DOWN after {@code failuresBeforeDown} failed checks in a row. Probes of UP endpoints run every
 * {@code interval}; PENDING and DOWN endpoints are retried with exponential back-off (from
 * {@code interval}, doubling, at most {@link #MAX_BACKOFF}, with +-20% jitter). Listener events are
 * collected under the lock and fired after it is released.
 */
public final class RemoteMembership {
  /** Longest wait between reconnection attempts to an endpoint that is down. */
  public static final Duration MAX_BACKOFF = Duration.ofSeconds(15);

  /** Resolves the target to endpoints (a fixed list, or a DNS lookup); may throw when resolution fails. */
  @FunctionalInterface
  public interface Resolver {
    /** The endpoints now. */
    List<HostPort> resolve() throws Exception;
  }

  /** One health check of one endpoint; the future fails with the reason when the check fails. */
  @FunctionalInterface
  public interface Prober {
    /** Checks {@code endpoint} within {@code timeout}. */
    CompletableFuture<Probe> probe(HostPort endpoint, Duration timeout);
  }

  /**
   * What a successful check reports.
   *
   * @param incarnation the worker process's incarnation id
   * @param capacity calls it runs at once
   */
  public record Probe(String incarnation, int capacity) {}

  /**
   * A live remote worker: one incarnation at one endpoint.
   *
   * @param endpoint where it listens
   * @param incarnation its incarnation id
   * @param capacity calls it runs at once
   */
  public record RemoteWorker(HostPort endpoint, String incarnation, int capacity) {
    /** A worker id for logs and errors: {@code remote-host:port}. */
    public String id() {
      return "remote-" + endpoint;
    }
  }

  /** Receives membership changes; called without the membership's lock, on the driver's thread. */
  public interface Listener {
    /** A worker answered its health check: add it to the pool. */
    void up(RemoteWorker worker);

    /** A worker is gone (checks failed, replaced by a new incarnation, or left DNS): take it out. */
    void down(RemoteWorker worker, String reason);

    /** An endpoint rejected the token ({@link TransportFailure.Kind#UNAUTHENTICATED}); it stays out, retried with back-off. */
    default void rejected(HostPort endpoint, String detail) {}
  }

  private enum State { PENDING, UP, DOWN }

  private static final class Entry {
    final HostPort endpoint;
    State state = State.PENDING;
    RemoteWorker worker;
    int failures;
    long nextProbeAt;
    boolean probing;

    Entry(HostPort endpoint, long now) {
      this.endpoint = endpoint;
      this.nextProbeAt = now;
    }
  }

  private record Event(RemoteWorker worker, String reason, HostPort rejected, boolean up) {}

  private final Resolver resolver;
  private final boolean periodicResolve;
  private final String targetName;
  private final Prober prober;
  private final Listener listener;
  private final long resolveIntervalNanos;
  private final long intervalNanos;
  private final Duration timeout;
  private final int failuresBeforeDown;
  private final DoubleSupplier random;
  private final Map<HostPort, Entry> entries = new LinkedHashMap<>();
  /** Where completed probes go (the driver records the time, applies them and ticks again). */
  private volatile ProbeSink sink = (endpoint, result, failure) -> {};
  private long nextResolveAt = Long.MIN_VALUE;
  private boolean resolvedOnce;
  private String lastResolveError;
  private boolean closed;

  /**
   * Creates the membership.
   *
   * @param targetName the target as the user wrote it (for messages)
   * @param resolver resolves the endpoints
   * @param periodicResolve re-resolve every {@code resolveInterval} (DNS) or once (a fixed list)
   * @param resolveInterval the re-resolution period
   * @param prober health-checks one endpoint
   * @param interval time between checks of a live worker
   * @param timeout how long one check may take
   * @param failuresBeforeDown failed checks in a row that take a worker out
   * @param random jitter source in [0, 1)
   * @param listener receives the changes
   */
  public RemoteMembership(String targetName, Resolver resolver, boolean periodicResolve, Duration resolveInterval,
      Prober prober, Duration interval, Duration timeout, int failuresBeforeDown, DoubleSupplier random,
      Listener listener) {
    this.targetName = targetName;
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.periodicResolve = periodicResolve;
    this.resolveIntervalNanos = resolveInterval.toNanos();
    this.prober = Objects.requireNonNull(prober, "prober");
    this.intervalNanos = interval.toNanos();
    this.timeout = timeout;
    this.failuresBeforeDown = failuresBeforeDown;
    this.random = random;
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Does what is due at {@code now} (resolve, start probes) and returns how long until it wants to
   * run again. Probe results arrive through {@link #onProbe}; call {@code tick} again after one.
   *
   * @param now the ticker's time in nanoseconds
   * @return the delay in nanoseconds (at least 1 ms)
   */
  public long tick(long now) {
    var events = new ArrayList<Event>();
    var due = new ArrayList<Entry>();
    long next;
    synchronized (this) {
      if (closed) {
        return Long.MAX_VALUE;
      }
      if (!resolvedOnce || (periodicResolve && now - nextResolveAt >= 0)) {
        resolve(now, events);
      }
      next = periodicResolve ? nextResolveAt : Long.MAX_VALUE;
      for (var entry : entries.values()) {
        if (!entry.probing && now - entry.nextProbeAt >= 0) {
          entry.probing = true;
          due.add(entry);
        } else if (!entry.probing) {
          next = earlier(next, entry.nextProbeAt);
        }
      }
    }
    fire(events);
    for (var entry : due) {
      CompletableFuture<Probe> probe;
      try {
        probe = prober.probe(entry.endpoint, timeout);
      } catch (RuntimeException e) {
        probe = CompletableFuture.failedFuture(e);
      }
      probe.whenComplete((result, failure) -> onProbeDone(entry.endpoint, result, failure));
    }
    long delay = next == Long.MAX_VALUE ? Long.MAX_VALUE : next - now;
    return Math.max(Duration.ofMillis(1).toNanos(), delay);
  }

  /** Where completed probes go; the driver installs one that records the time and wakes it. */
  @FunctionalInterface
  public interface ProbeSink {
    /** A probe of {@code endpoint} completed with {@code result} or {@code failure}. */
    void completed(HostPort endpoint, Probe result, Throwable failure);
  }

  /** Installs the sink (the driver). */
  public void onProbeCompleted(ProbeSink sink) {
    this.sink = Objects.requireNonNull(sink, "sink");
  }

  private void onProbeDone(HostPort endpoint, Probe result, Throwable failure) {
    sink.completed(endpoint, result, failure);
  }

  /**
   * Applies one probe result at {@code now}.
   *
   * @param endpoint the probed endpoint
   * @param result the answer, or null when the probe failed
   * @param failure why it failed, or null
   * @param now the ticker's time
   */
  public void onProbe(HostPort endpoint, Probe result, Throwable failure, long now) {
    var events = new ArrayList<Event>();
    synchronized (this) {
      var entry = entries.get(endpoint);
      if (closed || entry == null) {
        return;
      }
      entry.probing = false;
      if (failure == null && result != null) {
        succeeded(entry, result, now, events);
      } else {
        failed(entry, failure, now, events);
      }
    }
    fire(events);
  }

  /**
   * A call on this endpoint's worker failed as if the connection were lost: check it now instead
   * of at the next interval (the pool calls this; the next {@link #tick} starts the probe).
   */
  public synchronized void suspect(HostPort endpoint, long now) {
    var entry = entries.get(endpoint);
    if (entry != null && !entry.probing) {
      entry.nextProbeAt = now;
    }
  }

  /** The live workers. */
  public synchronized List<RemoteWorker> live() {
    return entries.values().stream().filter(e -> e.state == State.UP).map(e -> e.worker).toList();
  }

  /** How many known endpoints have never answered but have not failed often enough to count as down. */
  public synchronized int unchecked() {
    return (int) entries.values().stream()
        .filter(e -> e.state == State.PENDING && e.failures < failuresBeforeDown).count();
  }

  /** The endpoints known now (resolved), live or not. */
  public synchronized List<HostPort> endpoints() {
    return List.copyOf(entries.keySet());
  }

  /** Why the last resolution failed, or null when it succeeded. */
  public synchronized String lastResolveError() {
    return lastResolveError;
  }

  /** Stops: no more probes or events. */
  public synchronized void close() {
    closed = true;
  }

  // --- decisions ------------------------------------------------------------------------------

  private void resolve(long now, List<Event> events) {
    nextResolveAt = now + resolveIntervalNanos;
    List<HostPort> resolved;
    try {
      resolved = resolver.resolve();
      lastResolveError = null;
    } catch (Exception e) {
      // Keep the endpoints we have: a DNS hiccup must not empty the pool. Their checks go on.
      lastResolveError = "cannot resolve " + targetName + ": " + e;
      resolvedOnce = true;
      return;
    }
    resolvedOnce = true;
    for (var endpoint : resolved) {
      entries.computeIfAbsent(endpoint, ep -> new Entry(ep, now));
    }
    var gone = entries.values().stream().filter(e -> !resolved.contains(e.endpoint)).toList();
    for (var entry : gone) {
      entries.remove(entry.endpoint);
      if (entry.state == State.UP) {
        events.add(new Event(entry.worker, "no longer in the answers for " + targetName, null, false));
      }
    }
  }

  private void succeeded(Entry entry, Probe probe, long now, List<Event> events) {
    entry.failures = 0;
    entry.nextProbeAt = now + intervalNanos;
    if (entry.state == State.UP && entry.worker.incarnation().equals(probe.incarnation())) {
      return;
    }
    if (entry.state == State.UP) {
      events.add(new Event(entry.worker, "restarted (incarnation " + entry.worker.incarnation() + " replaced by "
          + probe.incarnation() + "): its sessions' state is gone", null, false));
    }
    entry.state = State.UP;
    entry.worker = new RemoteWorker(entry.endpoint, probe.incarnation(), Math.max(1, probe.capacity()));
    events.add(new Event(entry.worker, null, null, true));
  }

  private void failed(Entry entry, Throwable failure, long now, List<Event> events) {
    entry.failures++;
    var cause = unwrap(failure);
    if (cause instanceof TransportFailure rejected && rejected.kind() == TransportFailure.Kind.UNAUTHENTICATED) {
      events.add(new Event(null, cause.getMessage(), entry.endpoint, false));
    }
    if (entry.state == State.UP) {
      if (entry.failures < failuresBeforeDown) {
        entry.nextProbeAt = now + intervalNanos;
        return;
      }
      entry.state = State.DOWN;
      events.add(new Event(entry.worker, entry.failures + " health checks failed in a row (every "
          + Duration.ofNanos(intervalNanos).toMillis() + " ms, timeout " + timeout.toMillis() + " ms); last: "
          + describe(cause), null, false));
    }
    entry.nextProbeAt = now + backoff(entry.failures);
  }

  /** Back-off before the next attempt after {@code failures} failures: doubling from the interval, capped, +-20%. */
  long backoff(int failures) {
    double base = Math.min(MAX_BACKOFF.toNanos(), intervalNanos * Math.pow(2, Math.min(20, Math.max(0, failures - 1))));
    return (long) (base * (0.8 + 0.4 * random.getAsDouble()));
  }

  private void fire(List<Event> events) {
    for (var event : events) {
      if (event.rejected() != null) {
        listener.rejected(event.rejected(), event.reason());
      } else if (event.up()) {
        listener.up(event.worker());
      } else {
        listener.down(event.worker(), event.reason());
      }
    }
  }

  private static long earlier(long a, long b) {
    return a - b <= 0 ? a : b;
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String describe(Throwable failure) {
    if (failure == null) {
      return "no answer";
    }
    return failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
  }
}
