package dev.snakepit.internal.pool;

import dev.snakepit.CallOptions;
import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.PoolStats;
import dev.snakepit.SessionException;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolInfo;
import dev.snakepit.ToolResult;
import dev.snakepit.ToolStream;
import dev.snakepit.internal.host.SessionStore;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.telemetry.CallInstrumentation;
import dev.snakepit.internal.time.Scheduler;
import dev.snakepit.internal.time.Ticker;
import dev.snakepit.internal.tools.HostToolRegistry;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool as the facade sees it. It holds the parts and forwards to them: {@link CallRunner} (the
 * call path), {@link Dispatcher} (who runs what: queue, sessions, breaker), {@link WorkerSupervisor}
 * (workers' life), {@link HouseKeeper} (periodic checks). The pool talks to workers only through
 * the transport interface; {@code dev.snakepit.internal.assembly.PoolAssembly} builds it.
 */
public final class WorkerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);

  /**
   * What the composition root hands the pool.
   *
   * @param config the validated configuration
   * @param ticker the clock every decision reads
   * @param scheduler runs timers (queue timeouts, restarts, checks, house keeping)
   * @param executor runs background tasks and callers' continuations
   * @param random values in [0, 1) for jitter
   * @param starter brings workers up
   * @param sessions the host's session store
   * @param catalog the tools workers registered
   * @param hostTools the host tools Python may call
   * @param instrumentation call interceptors and their events
   * @param shutdownHook whether a JVM shutdown hook closes the pool
   * @param afterWorkers resources closed, in order, once every worker has stopped
   * @param sharedMemoryFallbacks the transport's count of shared-memory hand-offs that fell back to in-message bytes
   */
  public record Parts(SnakepitConfig config, Ticker ticker, Scheduler scheduler, Executor executor, DoubleSupplier random,
      WorkerStarter starter, SessionStore sessions, ToolCatalog catalog, HostToolRegistry hostTools,
      CallInstrumentation instrumentation, boolean shutdownHook, List<AutoCloseable> afterWorkers,
      LongSupplier sharedMemoryFallbacks) {}

  private final SnakepitConfig config;
  private final SessionStore sessions;
  private final ToolCatalog catalog;
  private final HostToolRegistry hostTools;
  private final Executor executor;
  private final List<AutoCloseable> afterWorkers;
  private final LongSupplier sharedMemoryFallbacks;
  private final Listeners listeners;
  private final Dispatcher dispatcher;
  private final WorkerSupervisor supervisor;
  private final CallRunner calls;
  /** The session directory shared with other replicas, or null. */
  private final SharedSessions shared;
  private final HouseKeeper houseKeeper;
  private final Scheduler scheduler;
  private final Thread shutdownHook;
  private Scheduler.Cancellable houseKeeping = () -> { };

  private WorkerPool(Parts parts) {
    this.config = parts.config();
    this.sessions = parts.sessions();
    this.catalog = parts.catalog();
    this.hostTools = parts.hostTools();
    this.executor = parts.executor();
    this.afterWorkers = parts.afterWorkers();
    this.sharedMemoryFallbacks = parts.sharedMemoryFallbacks();
    this.scheduler = parts.scheduler();
    this.listeners = new Listeners(config.eventListeners());
    var recycling = new RecyclePolicy(config.maxCallsPerWorker(), config.maxWorkerAge(), config.maxWorkerMemory(), parts.random());
    this.dispatcher = new Dispatcher(config.workerConcurrency(), config.queueCapacity(), config.queueTimeout(),
        config.breakerThreshold(), config.hotWorkers(), parts.ticker(), scheduler, listeners, recycling);
    var backoff = new Backoff(config.restartBackoffInitial(), config.restartBackoffMax(), parts.random());
    this.supervisor = new WorkerSupervisor(config.poolName(), config.workers(), config.shutdownGrace(),
        config.stuckCallGrace(), config.healthCheckTimeout(), dispatcher, parts.starter(), backoff, recycling,
        parts.ticker(), scheduler, executor, listeners);
    this.shared = config.sessionDirectory().map(directory -> new SharedSessions(directory, dispatcher)).orElse(null);
    this.calls = new CallRunner(config.callTimeout(), config.maxMessageSize(), config.sessionAffinity(), parts.ticker(),
        dispatcher, supervisor, id -> openSession(id, Map.of()), listeners, parts.instrumentation(),
        new CallErrors(config.maxMessageSize()), executor, shared);
    this.houseKeeper = new HouseKeeper(config.poolName(), parts.ticker(), sessions, config.sessionTtl(),
        config.healthCheckTimeout(), recycling, supervisor);
    sessions.onRemove(dispatcher::unbind);
    if (shared != null) {
      sessions.onRemove(shared::forget);
    }
    this.shutdownHook = parts.shutdownHook()
        ? new Thread(this::closeFromHook, "snakepit-" + config.poolName() + "-shutdown") : null;
  }

  /** Starts a pool from its parts: every worker concurrently. Fails if any worker fails to start. */
  public static WorkerPool start(Parts parts) {
    var pool = new WorkerPool(parts);
    try {
      pool.supervisor.startAll();
      if (pool.shutdownHook != null) {
        Runtime.getRuntime().addShutdownHook(pool.shutdownHook);
      }
      pool.houseKeeping = pool.scheduler.scheduleRepeating(pool.houseKeeper, pool.config.healthCheckInterval());
      return pool;
    } catch (RuntimeException e) {
      pool.releaseResources();
      throw e;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Calls
  // ---------------------------------------------------------------------------------------------

  /** Runs a tool; the future completes on a transport thread. */
  public CompletableFuture<ToolResult> execute(String toolName, Map<String, ?> arguments, CallOptions options) {
    return calls.execute(toolName, arguments, options);
  }

  /** Runs a tool and hands the caller's continuations to a callback thread, never a transport thread. */
  public CompletableFuture<ToolResult> executeAsync(String toolName, Map<String, ?> arguments, CallOptions options) {
    return calls.executeAsync(toolName, arguments, options);
  }

  /** Runs a tool and waits for its result, rethrowing failures as {@link dev.snakepit.SnakepitException}s. */
  public ToolResult executeSync(String toolName, Map<String, ?> arguments, CallOptions options) {
    return calls.executeSync(toolName, arguments, options);
  }

  /** Starts a streaming call and returns its chunks as an iterator. */
  public ToolStream stream(String toolName, Map<String, ?> arguments, CallOptions options) {
    return calls.stream(toolName, arguments, options);
  }

  /** Starts a streaming call that hands each chunk to {@code onChunk} (serially, on a transport thread). */
  public CompletableFuture<Void> stream(String toolName, Map<String, ?> arguments, CallOptions options,
      Consumer<StreamChunk> onChunk) {
    return calls.stream(toolName, arguments, options, onChunk);
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions
  // ---------------------------------------------------------------------------------------------

  /** Creates the session (or touches it); fails when the pool is closed or the session cap is reached. */
  public void openSession(String sessionId, Map<String, String> metadata) {
    if (dispatcher.isClosing()) {
      throw new PoolClosedException(null, "session '" + sessionId + "' not opened; sessions need a running pool");
    }
    try {
      sessions.createOrTouch(sessionId, metadata);
    } catch (SessionStore.LimitReachedException e) {
      throw new SessionException(sessionId, SessionException.Reason.LIMIT_REACHED, null, null,
          "Cannot open session '" + sessionId + "': " + e.getMessage() + ".");
    }
  }

  /** Fails with EXPIRED when the session no longer exists, else marks it used. */
  public void touchSession(String sessionId) {
    if (sessions.get(sessionId).isEmpty()) {
      throw new SessionException(sessionId, SessionException.Reason.EXPIRED, null, null,
          "Session '" + sessionId + "' expired after being idle longer than the session TTL (" + config.sessionTtl()
              + ") or was cleaned up by a worker; open a new session.");
    }
    sessions.createOrTouch(sessionId, Map.of());
  }

  /** Removes a session: its host record, its binding and its session-scoped host tools. */
  public void closeSession(String sessionId) {
    if (shared != null) {
      shared.release(sessionId); // only a close releases the shared binding; an expiry here only forgets it
    }
    sessions.remove(sessionId);
  }

  /** The id of the worker a session is bound to, or null. */
  public String boundWorker(String sessionId) {
    return dispatcher.boundWorker(sessionId);
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection
  // ---------------------------------------------------------------------------------------------

  /** The host tools Python tools may call. */
  public HostToolRegistry hostTools() {
    return hostTools;
  }

  /** The Python tools the workers registered, sorted by name. */
  public List<ToolInfo> tools() {
    return catalog.tools();
  }

  /** A snapshot of the pool's counts. */
  public PoolStats stats() {
    var counts = dispatcher.counts();
    return new PoolStats(counts.ready(), counts.starting(), counts.retiring(), counts.busy(), counts.queued(),
        calls.completedCalls.get(), calls.failedCalls.get(), supervisor.restarts.get(), supervisor.crashes.get(),
        supervisor.unhealthyKills.get(), supervisor.recycles.get(), counts.breakerOpen(), sessions.size(),
        sharedMemoryFallbacks.getAsLong());
  }

  /** The OS process ids of the live workers. */
  public List<Long> workerPids() {
    return dispatcher.workers().stream().map(w -> w.process.pid()).toList();
  }

  /** Worker ids of the live workers. */
  public List<String> workerIds() {
    return dispatcher.workers().stream().sorted(Comparator.comparingInt(w -> w.slot)).map(w -> w.id).toList();
  }

  /** The pool's configuration. */
  public SnakepitConfig config() {
    return config;
  }

  /** Hands an event to the pool's listeners (the facade announces itself this way once started). */
  public void publish(Consumer<PoolEventListener> event) {
    if (listeners.active()) {
      listeners.fire(event);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Close
  // ---------------------------------------------------------------------------------------------

  /**
   * Stops admitting calls, fails queued ones, lets in-flight calls finish within the shutdown grace,
   * then stops every worker (SIGTERM, then SIGKILL) and releases threads, sockets and files.
   */
  @Override
  public void close() {
    if (!dispatcher.close(config.shutdownGrace())) {
      return;
    }
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook is running or ran.
      }
    }
    releaseResources();
    LOG.info("Pool {} closed ({} calls completed, {} failed)", config.poolName(), calls.completedCalls.get(),
        calls.failedCalls.get());
    publish(l -> l.poolClosed(new PoolEventListener.PoolClosed(config.poolName())));
  }

  private void closeFromHook() {
    LOG.info("JVM shutting down: closing pool {}", config.poolName());
    close();
  }

  private void releaseResources() {
    dispatcher.markClosing();
    supervisor.closeStarts();
    houseKeeping.cancel();
    var stops = dispatcher.workers().stream()
        .map(w -> CompletableFuture.runAsync(() -> supervisor.stopWorker(w, config.shutdownGrace()), executor))
        .toList();
    stops.forEach(CompletableFuture::join);
    for (var resource : afterWorkers) {
      try {
        resource.close();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        LOG.warn("Closing {} of pool {} failed", resource, config.poolName(), e);
      }
    }
  }
}
