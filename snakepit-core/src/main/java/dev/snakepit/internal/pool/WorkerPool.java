package dev.snakepit.internal.pool;

import dev.snakepit.Affinity;
import dev.snakepit.CallOptions;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.PoolSaturatedException;
import dev.snakepit.PoolUnavailableException;
import dev.snakepit.PoolStats;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.StartupFailedException;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolInfo;
import dev.snakepit.ToolResult;
import dev.snakepit.ToolStream;
import dev.snakepit.TransportException;
import dev.snakepit.WorkerCrashedException;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.codec.ArgumentEncoder;
import dev.snakepit.internal.codec.ErrorDecoder;
import dev.snakepit.internal.host.HostBridgeServer;
import dev.snakepit.internal.host.SessionStore;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.tools.HostToolRegistry;
import dev.snakepit.internal.process.LaunchSpec;
import dev.snakepit.internal.process.WorkerProcess;
import dev.snakepit.internal.process.WorkerRegistry;
import dev.snakepit.internal.telemetry.CallInstrumentation;
import dev.snakepit.internal.telemetry.WorkerOutput;
import dev.snakepit.internal.transport.RemoteToolError;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.TransportFactory;
import dev.snakepit.internal.transport.grpc.AuthToken;
import dev.snakepit.internal.transport.grpc.GrpcTransportFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool: worker processes, dispatch to the least-busy worker, a bounded FIFO wait queue, crash
 * replacement with back-off, and an orderly close. The pool talks to workers only through the
 * transport interface.
 */
public final class WorkerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  /** How long to wait for a dead worker's exit status when its connection drops. */
  private static final Duration CRASH_CONFIRMATION = Duration.ofSeconds(2);

  private final SnakepitConfig config;
  private final String runId;
  private final Path runDirectory;
  private final AuthToken token = AuthToken.random();
  private final SessionStore sessions;
  private final ToolCatalog catalog = new ToolCatalog();
  private final HostToolRegistry hostTools;
  private final HostBridgeServer hostServer;
  private final TransportFactory transports;
  private final ScheduledExecutorService timer;
  /** Spawns every worker from one long-lived thread: Linux ties parent-death signals to the spawning thread. */
  private final ExecutorService launcher;
  private final ExecutorService callbacks;
  private final Thread shutdownHook;
  private final WorkerRegistry registry;
  private final Listeners listeners;
  private final CallInstrumentation instrumentation;
  private ScheduledFuture<?> houseKeeping;

  // ---- state guarded by lock ----
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private final List<PooledWorker> workers = new ArrayList<>();
  /** Processes spawned but not yet ready (or failed): close() must stop these too. */
  private final List<WorkerProcess> spawning = new ArrayList<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final int[] generations;
  /** Session id to the worker its calls are bound to. */
  private final Map<String, Binding> bindings = new HashMap<>();
  private int starting;
  private boolean closing;
  private int consecutiveStartFailures;
  private StartupFailedException lastStartFailure;
  private boolean breakerOpen;

  // ---- counters ----
  private final AtomicLong completedCalls = new AtomicLong();
  private final AtomicLong failedCalls = new AtomicLong();
  private final AtomicLong restarts = new AtomicLong();
  private final AtomicLong crashes = new AtomicLong();
  private final AtomicLong unhealthyKills = new AtomicLong();
  private final AtomicLong recycles = new AtomicLong();

  private WorkerPool(SnakepitConfig config) throws IOException {
    this.config = config;
    this.runId = config.poolName() + "-" + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet();
    this.runDirectory = Files.createTempDirectory("snakepit-" + runId + "-");
    this.generations = new int[config.workers()];
    this.sessions = new SessionStore(config.maxSessions());
    sessions.onRemove(this::unbind);
    this.timer = Executors.newSingleThreadScheduledExecutor(new NamedThreadFactory(config.poolName(), "timer"));
    this.launcher = Executors.newSingleThreadExecutor(new NamedThreadFactory(config.poolName(), "launcher"));
    this.callbacks = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name(NamedThreadFactory.PREFIX + config.poolName() + "-callback-", 1).factory());
    this.transports = new GrpcTransportFactory(config.poolName(), token, config.maxMessageSize(),
        Math.min(2, Runtime.getRuntime().availableProcessors()));
    // Workers written for Snakepit do not send our token; accept token-less calls only for them.
    this.hostTools = new HostToolRegistry(config.hostTools(), config.callTimeout());
    this.hostServer = new HostBridgeServer(config.poolName(), token, config.workerScript() == null,
        config.maxMessageSize(), sessions, catalog, hostTools);
    this.shutdownHook = new Thread(this::closeFromHook, NamedThreadFactory.PREFIX + config.poolName() + "-shutdown");
    this.registry = new WorkerRegistry(WorkerRegistry.defaultDirectory(), runId);
    this.listeners = new Listeners(config.eventListeners());
    this.instrumentation = new CallInstrumentation(config.callInterceptors(), config.eventListeners());
    hostTools.observe(instrumentation);
  }

  /** Starts a pool: the host server, then every worker concurrently. Fails if any worker fails to start. */
  public static WorkerPool start(SnakepitConfig config) {
    WorkerPool pool;
    try {
      pool = new WorkerPool(config);
    } catch (IOException e) {
      throw new StartupFailedException("-", "cannot create the pool's run directory: " + e.getMessage(), null, null, e);
    }
    try {
      // Workers of instances that died without cleaning up (kill -9 of a JVM) go first.
      WorkerRegistry.reapLeftovers(WorkerRegistry.defaultDirectory());
      pool.startAll();
      Runtime.getRuntime().addShutdownHook(pool.shutdownHook);
      pool.startHouseKeeping();
      return pool;
    } catch (RuntimeException e) {
      pool.releaseResources();
      throw e;
    }
  }

  private void startAll() {
    var futures = new ArrayList<CompletableFuture<PooledWorker>>();
    lock.lock();
    try {
      starting = config.workers();
    } finally {
      lock.unlock();
    }
    for (int slot = 0; slot < config.workers(); slot++) {
      int s = slot;
      futures.add(CompletableFuture.supplyAsync(() -> startWorker(s), callbacks));
    }
    SnakepitException failure = null;
    var started = new ArrayList<PooledWorker>();
    for (var future : futures) {
      try {
        started.add(future.join());
      } catch (CompletionException e) {
        var cause = e.getCause() instanceof SnakepitException se ? se
            : new StartupFailedException("-", String.valueOf(e.getCause()), null, null, e.getCause());
        if (failure == null) {
          failure = cause;
        } else {
          failure.addSuppressed(cause);
        }
      }
    }
    if (failure != null) {
      started.forEach(w -> stopWorker(w, Duration.ZERO));
      throw failure;
    }
    lock.lock();
    try {
      starting = 0;
      for (var worker : started) {
        workers.add(worker);
        watchExit(worker);
      }
    } finally {
      lock.unlock();
    }
    LOG.info("Pool {} ready: {} workers ({})", config.poolName(), started.size(),
        started.stream().map(w -> w.id + "/pid " + w.process.pid()).collect(Collectors.joining(", ")));
  }

  // ---------------------------------------------------------------------------------------------
  // Worker start and stop
  // ---------------------------------------------------------------------------------------------

  private PooledWorker startWorker(int slot) {
    int generation;
    synchronized (generations) {
      generation = ++generations[slot];
    }
    var workerId = config.poolName() + "-w" + (slot + 1) + "-g" + generation;
    var spec = new LaunchSpec(workerId, command(), environment(workerId), config.workingDirectory(),
        runDirectory.resolve(workerId + ".ready"), config.shutdownGrace());
    WorkerProcess process;
    try {
      var output = new WorkerOutput.Settings(config.forwardWorkerOutput(), config.workerLogLevel());
      process = launcher.submit(() -> WorkerProcess.start(spec, config.poolName(), output)).get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new StartupFailedException(workerId, e.getCause().toString(), null, null, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupFailedException(workerId, "interrupted while spawning", null, null, e);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      throw new PoolClosedException(null, "the pool closed while starting " + workerId);
    }
    long deadline = System.nanoTime() + config.startupTimeout().toNanos();
    boolean tooLate;
    lock.lock();
    try {
      tooLate = closing;
      if (!tooLate) {
        spawning.add(process);
      }
    } finally {
      lock.unlock();
    }
    if (tooLate) {
      process.stop(Duration.ZERO);
      throw new PoolClosedException(null, "the pool closed while starting " + workerId);
    }
    try {
      return awaitWorker(slot, generation, workerId, process, deadline);
    } finally {
      lock.lock();
      try {
        spawning.remove(process);
      } finally {
        lock.unlock();
      }
    }
  }

  private PooledWorker awaitWorker(int slot, int generation, String workerId, WorkerProcess process, long deadline) {
    registry.add(workerId, process.handle());
    if (listeners.active()) {
      listeners.fire(l -> l.workerStarted(new PoolEventListener.WorkerStarted(workerId, process.pid())));
    }
    try {
      int port = process.awaitReady(config.startupTimeout());
      var transport = transports.connect("127.0.0.1", port, workerId);
      try {
        var remaining = Duration.ofNanos(Math.max(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(500)));
        transport.ping(remaining).get(remaining.toMillis() + 1000, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException | InterruptedException e) {
        transport.close();
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        var cause = e instanceof ExecutionException ? e.getCause() : e;
        throw new StartupFailedException(workerId, "wrote its ready file (port " + port + ") but did not answer Ping: " + cause,
            process.exitCode(), process.stderrTail(), cause);
      }
      LOG.debug("Worker {} ready (pid {}, port {}, {} ms)", workerId, process.pid(), port, process.age().toMillis());
      if (listeners.active()) {
        var startup = process.age();
        listeners.fire(l -> l.workerReady(new PoolEventListener.WorkerReady(workerId, process.pid(), startup)));
        // What the worker's tools emit (snakepit_bridge.telemetry) is heard only when someone listens.
        transport.streamTelemetry(event -> listeners.fire(l -> l.telemetry(event)));
      }
      return new PooledWorker(slot, generation, workerId, process, transport, retireAt());
    } catch (RuntimeException e) {
      process.stop(Duration.ZERO);
      registry.remove(workerId);
      throw e;
    }
  }

  private long retireAt() {
    if (config.maxWorkerAge() == null) {
      return Long.MAX_VALUE;
    }
    // Up to 10% jitter, so that workers started together do not all retire together.
    long age = config.maxWorkerAge().toNanos();
    return System.nanoTime() + age + (long) (age * 0.1 * ThreadLocalRandom.current().nextDouble());
  }

  private List<String> command() {
    var command = new ArrayList<>(config.baseCommand());
    command.addAll(List.of("--port", "0", "--snakepit-run-id", runId));
    command.addAll(config.extraArguments());
    return command;
  }

  private Map<String, String> environment(String workerId) {
    var env = new HashMap<String, String>();
    env.put("SNAKEPIT_GRPC_ADDRESS", hostServer.address());
    env.put("SNAKEPIT_READY_FILE", runDirectory.resolve(workerId + ".ready").toString());
    env.put("SNAKEPIT_AUTH_TOKEN", token.value());
    env.put("SNAKEPIT_WORKER_ID", workerId);
    env.put("SNAKEPIT_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
    env.put("SNAKEPIT_PARENT_WATCH", "stdin");
    env.put("SNAKEPIT_MAX_MESSAGE_BYTES", Integer.toString(config.maxMessageSize()));
    env.put("SNAKEPIT_SHUTDOWN_GRACE_MS", Long.toString(config.shutdownGrace().toMillis()));
    // The worker warns (once per pool) when calls share an adapter that is not declared thread safe.
    env.put("SNAKEPIT_WORKER_CONCURRENCY", Integer.toString(config.workerConcurrency()));
    env.put("SNAKEPIT_HEARTBEAT_CONFIG",
        "{\"enabled\":true,\"interval_ms\":2000,\"timeout_ms\":10000,\"max_missed_heartbeats\":3,"
            + "\"initial_delay_ms\":2000,\"jitter_ms\":500,\"dependent\":true}");
    env.put("PYTHONUNBUFFERED", "1");
    for (var threads : List.of("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")) {
      env.put(threads, "1");
    }
    if (!config.pythonPath().isEmpty()) {
      var path = config.pythonPath().stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator));
      var inherited = System.getenv("PYTHONPATH");
      env.put("PYTHONPATH", inherited == null || inherited.isBlank() ? path : path + java.io.File.pathSeparator + inherited);
    }
    // Our worker then writes its log records as JSON lines, which WorkerOutput forwards to SLF4J.
    env.put("SNAKEPIT_LOG_FORMAT", "json");
    env.putAll(transports.workerEnvironment(workerId));
    env.putAll(config.mallocEnvironment());
    env.putAll(config.workerEnvironment());
    return env;
  }

  private void watchExit(PooledWorker worker) {
    worker.process.onExit().thenAcceptAsync(code -> onWorkerExit(worker, code), callbacks);
  }

  private void onWorkerExit(PooledWorker worker, int exitCode) {
    boolean replace;
    List<Runnable> lostSessionCalls;
    lock.lock();
    try {
      // A worker being recycled already has its replacement; one retiring or closing needs none.
      boolean expected = worker.state == PooledWorker.State.RETIRING || worker.replacing || closing;
      worker.state = PooledWorker.State.DEAD;
      workers.remove(worker);
      lostSessionCalls = failStrictWaitersOf(worker);
      replace = !expected;
      if (replace) {
        starting++;
      }
    } finally {
      lock.unlock();
    }
    lostSessionCalls.forEach(Runnable::run);
    catalog.forget(worker.id);
    registry.remove(worker.id);
    worker.transport.close();
    if (replace) {
      crashes.incrementAndGet();
      worker.process.awaitPumps();
      if (listeners.active()) {
        listeners.fire(l -> l.workerCrashed(new PoolEventListener.WorkerCrashed(worker.id, worker.process.pid(), exitCode,
            worker.killedAsUnhealthy, worker.process.stderrTail())));
      }
      if (worker.killedAsUnhealthy) {
        LOG.warn("Worker {} (pid {}) was killed after failing health checks; starting a replacement", worker.id,
            worker.process.pid());
      } else {
        LOG.warn("Worker {} (pid {}) died unexpectedly: {}; starting a replacement. Last stderr lines:\n{}",
            worker.id, worker.process.pid(), describeExit(exitCode), worker.process.stderrTail());
      }
      scheduleRestart(worker.slot, 0);
    }
  }

  private void scheduleRestart(int slot, int attempt) {
    long delayMs = 0;
    if (attempt > 0) {
      long base = config.restartBackoffInitial().toMillis() << Math.min(attempt - 1, 20);
      long capped = Math.min(base, config.restartBackoffMax().toMillis());
      // Jitter keeps workers that failed together from retrying together.
      delayMs = (long) (capped * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    }
    try {
      timer.schedule(() -> callbacks.execute(() -> restart(slot, attempt)), delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // The pool is closing.
    }
  }

  private void restart(int slot, int attempt) {
    if (isClosing()) {
      decrementStarting();
      return;
    }
    PooledWorker worker;
    try {
      worker = startWorker(slot);
    } catch (RuntimeException e) {
      if (isClosing()) {
        decrementStarting();
        return;
      }
      LOG.warn("Restart of worker slot {} failed (attempt {}): {}", slot + 1, attempt + 1, e.getMessage());
      recordStartFailure(e);
      scheduleRestart(slot, attempt + 1);
      return;
    }
    if (admit(worker, null, restarts)) {
      LOG.info("Worker {} started as a replacement (pid {})", worker.id, worker.process.pid());
    }
  }

  /**
   * Puts a freshly started worker into service (closing the breaker: a start succeeded), counts it
   * in {@code counter} and, when it replaces {@code old}, retires that one. Returns false when the
   * pool closed meanwhile; the fresh worker is then stopped.
   */
  private boolean admit(PooledWorker fresh, PooledWorker old, AtomicLong counter) {
    List<Runnable> handOffs = new ArrayList<>();
    boolean stopOldNow = false;
    boolean breakerClosed;
    lock.lock();
    try {
      starting--;
      consecutiveStartFailures = 0;
      breakerClosed = breakerOpen;
      breakerOpen = false;
      if (!closing) {
        workers.add(fresh);
        if (old != null) {
          if (old.state != PooledWorker.State.DEAD) {
            old.state = PooledWorker.State.RETIRING;
          }
          stopOldNow = old.state == PooledWorker.State.RETIRING && old.inFlight == 0;
          handOffs.addAll(failStrictWaitersOf(old));
        }
        handOffs.addAll(handOff(fresh));
      }
    } finally {
      lock.unlock();
    }
    if (isClosing()) {
      stopWorker(fresh, Duration.ZERO);
      return false;
    }
    if (breakerClosed) {
      LOG.info("Pool {} breaker closed: worker {} started", config.poolName(), fresh.id);
      if (listeners.active()) {
        listeners.fire(l -> l.breakerClosed(new PoolEventListener.BreakerClosed(fresh.id)));
      }
    }
    counter.incrementAndGet();
    watchExit(fresh);
    handOffs.forEach(Runnable::run);
    if (stopOldNow) {
      retire(old);
    }
    return true;
  }

  /** Counts a failed start; enough in a row open the breaker, failing queued calls that no worker can serve. */
  private void recordStartFailure(RuntimeException failure) {
    List<Waiter> failed = List.of();
    PoolUnavailableException error = null;
    lock.lock();
    try {
      consecutiveStartFailures++;
      if (failure instanceof StartupFailedException startup) {
        lastStartFailure = startup;
      } else {
        lastStartFailure = new StartupFailedException("-", failure.toString(), null, null, failure);
      }
      if (consecutiveStartFailures >= config.breakerThreshold() && !breakerOpen) {
        breakerOpen = true;
        if (listeners.active()) {
          var opened = new PoolEventListener.BreakerOpened(consecutiveStartFailures, lastStartFailure.getMessage());
          listeners.fire(l -> l.breakerOpened(opened));
        }
        LOG.error("Pool {} breaker open: the last {} worker starts failed. Calls fail fast until a start succeeds. "
            + "Last failure: {}", config.poolName(), consecutiveStartFailures, lastStartFailure.getMessage());
      }
      if (breakerOpen && readyCount() == 0) {
        failed = new ArrayList<>(waiters);
        waiters.clear();
        error = new PoolUnavailableException(null, consecutiveStartFailures, lastStartFailure);
      }
    } finally {
      lock.unlock();
    }
    for (var waiter : failed) {
      waiter.timeout.cancel(false);
      waiter.future.completeExceptionally(new PoolUnavailableException(waiter.toolName, error.failedStarts(), lastStartFailure));
    }
  }

  private int readyCount() {
    int ready = 0;
    for (var worker : workers) {
      if (worker.state == PooledWorker.State.READY) {
        ready++;
      }
    }
    return ready;
  }

  private void decrementStarting() {
    lock.lock();
    try {
      starting--;
    } finally {
      lock.unlock();
    }
  }

  private boolean isClosing() {
    lock.lock();
    try {
      return closing;
    } finally {
      lock.unlock();
    }
  }

  private void stopWorker(PooledWorker worker, Duration grace) {
    lock.lock();
    try {
      if (worker.state != PooledWorker.State.DEAD) {
        worker.state = PooledWorker.State.RETIRING;
      }
    } finally {
      lock.unlock();
    }
    worker.transport.close();
    worker.process.stop(grace);
    catalog.forget(worker.id);
    registry.remove(worker.id);
    if (listeners.active()) {
      listeners.fire(l -> l.workerRetired(new PoolEventListener.WorkerRetired(worker.id, worker.process.pid(), worker.completedCalls)));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Recycling, stuck calls and health
  // ---------------------------------------------------------------------------------------------

  /** Replaces a worker on purpose; the replacement is ready before the old worker stops taking calls. */
  void recycle(PooledWorker worker, String reason) {
    lock.lock();
    try {
      if (closing || worker.replacing || worker.state == PooledWorker.State.DEAD
          || worker.state == PooledWorker.State.RETIRING) {
        return;
      }
      worker.replacing = true;
      starting++;
    } finally {
      lock.unlock();
    }
    LOG.info("Recycling worker {} (pid {}): {}", worker.id, worker.process.pid(), reason);
    if (listeners.active()) {
      listeners.fire(l -> l.workerRecycled(new PoolEventListener.WorkerRecycled(worker.id, reason)));
    }
    try {
      callbacks.execute(() -> replace(worker));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      decrementStarting();
    }
  }

  private void replace(PooledWorker old) {
    PooledWorker fresh;
    try {
      fresh = startWorker(old.slot);
    } catch (RuntimeException e) {
      boolean oldDead;
      boolean oldStuck;
      lock.lock();
      try {
        starting--;
        old.replacing = false;
        oldDead = old.state == PooledWorker.State.DEAD;
        oldStuck = old.state == PooledWorker.State.SUSPECT;
      } finally {
        lock.unlock();
      }
      if (isClosing()) {
        return;
      }
      recordStartFailure(e);
      LOG.warn("Could not start a replacement for worker {}: {}", old.id, e.getMessage());
      if (oldDead) {
        lock.lock();
        try {
          starting++;
        } finally {
          lock.unlock();
        }
        scheduleRestart(old.slot, 1);
      } else if (oldStuck) {
        // It cannot serve and cannot be replaced yet: kill it, and the crash path restarts with back-off.
        old.process.kill();
      }
      return;
    }
    if (admit(fresh, old, recycles)) {
      LOG.info("Worker {} (pid {}) replaced {}", fresh.id, fresh.process.pid(), old.id);
    }
  }

  private void retire(PooledWorker worker) {
    try {
      callbacks.execute(() -> stopWorker(worker, config.shutdownGrace()));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closing: releaseResources stops every worker.
    }
  }

  /**
   * After a call was cancelled or timed out on a worker, give it no calls until it shows it is not
   * still running that call (a sync tool that ignores cancellation); recycle it if it still is
   * after the stuck-call grace.
   */
  void suspect(PooledWorker worker) {
    lock.lock();
    try {
      if (closing || worker.state != PooledWorker.State.READY) {
        return;
      }
      worker.state = PooledWorker.State.SUSPECT;
    } finally {
      lock.unlock();
    }
    scheduleStuckCheck(worker, System.nanoTime() + config.stuckCallGrace().toNanos(), 20);
  }

  private void scheduleStuckCheck(PooledWorker worker, long graceEndNanos, long delayMs) {
    try {
      timer.schedule(() -> checkStuck(worker, graceEndNanos), delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closing.
    }
  }

  private void checkStuck(PooledWorker worker, long graceEndNanos) {
    worker.transport.ping(config.healthCheckTimeout()).whenComplete((status, error) -> {
      List<Runnable> handOffs = List.of();
      boolean busy;
      lock.lock();
      try {
        if (worker.state != PooledWorker.State.SUSPECT) {
          return;
        }
        busy = error != null || status.busyThreads() > worker.inFlight || status.activeCalls() > worker.inFlight;
        if (!busy) {
          worker.state = PooledWorker.State.READY;
          handOffs = handOff(worker);
        }
      } finally {
        lock.unlock();
      }
      handOffs.forEach(Runnable::run);
      if (!busy) {
        return;
      }
      if (System.nanoTime() >= graceEndNanos) {
        recycle(worker, error != null
            ? "it stopped answering after a cancelled call"
            : "still busy " + config.stuckCallGrace().toMillis() + " ms after a cancelled call (" + status.busyThreads()
                + " tool threads running)");
      } else {
        scheduleStuckCheck(worker, graceEndNanos, 100);
      }
    });
  }

  private void startHouseKeeping() {
    long period = config.healthCheckInterval().toNanos();
    houseKeeping = timer.scheduleWithFixedDelay(new HouseKeeper(), period, period, TimeUnit.NANOSECONDS);
  }

  /** Periodic health pings, and recycling by age and memory. */
  private final class HouseKeeper implements Runnable {
    @Override
    public void run() {
      try {
        List<PooledWorker> snapshot;
        lock.lock();
        try {
          snapshot = workers.stream().filter(w -> w.state == PooledWorker.State.READY).toList();
        } finally {
          lock.unlock();
        }
        long now = System.nanoTime();
        var expired = sessions.expire(now, config.sessionTtl().toNanos());
        if (!expired.isEmpty()) {
          LOG.debug("Expired {} idle sessions of pool {}", expired.size(), config.poolName());
        }
        for (var worker : snapshot) {
          if (now - worker.retireAtNanos >= 0) {
            recycle(worker, "reached maxWorkerAge " + config.maxWorkerAge());
            continue;
          }
          if (config.maxWorkerMemory() > 0) {
            long rss = worker.process.residentMemory();
            if (rss > config.maxWorkerMemory()) {
              recycle(worker, "resident memory " + rss / (1024 * 1024) + " MiB is over maxWorkerMemory "
                  + config.maxWorkerMemory() / (1024 * 1024) + " MiB");
              continue;
            }
          }
          worker.transport.ping(config.healthCheckTimeout()).whenComplete((status, error) -> onHealthPing(worker, error));
        }
      } catch (RuntimeException e) {
        LOG.warn("House keeping of pool {} failed", config.poolName(), e);
      }
    }
  }

  private void onHealthPing(PooledWorker worker, Throwable error) {
    boolean kill = false;
    lock.lock();
    try {
      if (error == null) {
        worker.missedPings = 0;
        return;
      }
      if (worker.state == PooledWorker.State.DEAD || closing) {
        return;
      }
      worker.missedPings++;
      if (worker.missedPings >= 2 && !worker.killedAsUnhealthy) {
        worker.killedAsUnhealthy = true;
        kill = true;
      }
    } finally {
      lock.unlock();
    }
    if (kill) {
      unhealthyKills.incrementAndGet();
      LOG.warn("Worker {} (pid {}) missed {} health checks in a row (last: {}); killing it", worker.id,
          worker.process.pid(), worker.missedPings, error.getMessage());
      worker.process.kill();
    }
  }

  static String describeExit(int exitCode) {
    return exitCode > 128 ? "killed by signal " + (exitCode - 128) : "exit code " + exitCode;
  }

  // ---------------------------------------------------------------------------------------------
  // Dispatch: least-busy worker, bounded FIFO queue
  // ---------------------------------------------------------------------------------------------

  /** A call waiting for a worker. */
  private static final class Waiter {
    final String toolName;
    final Route route;
    final CompletableFuture<PooledWorker> future = new CompletableFuture<>();
    ScheduledFuture<?> timeout;

    Waiter(String toolName, Route route) {
      this.toolName = toolName;
      this.route = route;
    }
  }

  /** Which session a call belongs to and how it follows its bound worker; null for calls outside sessions. */
  private record Route(String sessionId, Affinity affinity) {
    boolean strict() {
      return affinity != Affinity.HINT;
    }
  }

  /** The worker a session is bound to (null until its first call gets one). Guarded by the lock. */
  private static final class Binding {
    PooledWorker worker;
  }

  /** The call's session route, opening (or touching) its session; null for a call outside sessions. */
  private Route route(CallOptions options) {
    var sessionId = options.sessionId();
    if (sessionId == null || sessionId.isEmpty()) {
      return null;
    }
    openSession(sessionId, Map.of());
    return new Route(sessionId, options.affinity() == null ? config.sessionAffinity() : options.affinity());
  }

  private CompletableFuture<PooledWorker> acquire(String toolName, long deadlineNanos, Duration budget, Route route) {
    lock.lock();
    try {
      if (closing) {
        return CompletableFuture.failedFuture(new PoolClosedException(toolName, null));
      }
      PooledWorker worker;
      if (route == null) {
        worker = leastBusy();
      } else {
        var binding = bindings.computeIfAbsent(route.sessionId(), id -> new Binding());
        var bound = binding.worker;
        if (bound != null && (bound.state == PooledWorker.State.DEAD || bound.state == PooledWorker.State.RETIRING)) {
          if (route.strict()) {
            return CompletableFuture.failedFuture(workerLost(route, toolName, bound));
          }
          binding.worker = bound = null;
        }
        if (bound == null) {
          worker = leastBusy();
          // Bound under the lock, so two concurrent first calls of a session agree on one worker.
          binding.worker = worker;
        } else if (bound.state == PooledWorker.State.READY && bound.inFlight < config.workerConcurrency()) {
          worker = bound;
        } else if (route.affinity() == Affinity.STRICT_FAIL_FAST) {
          return CompletableFuture.failedFuture(new PoolSaturatedException(toolName, PoolSaturatedException.Reason.SESSION_WORKER_BUSY,
              workers.size(), busyCount(), waiters.size(), config.queueCapacity(), "session '" + route.sessionId()
                  + "' is bound to " + bound.id + ", which is running " + bound.inFlight + " call(s)"));
        } else if (route.affinity() == Affinity.HINT) {
          worker = leastBusy();
        } else {
          worker = null;
        }
      }
      if (worker != null) {
        worker.inFlight++;
        return CompletableFuture.completedFuture(worker);
      }
      if (breakerOpen && readyCount() == 0) {
        return CompletableFuture.failedFuture(new PoolUnavailableException(toolName, consecutiveStartFailures, lastStartFailure));
      }
      if (waiters.size() >= config.queueCapacity()) {
        if (listeners.active()) {
          var full = new PoolEventListener.QueueFull(toolName, waiters.size(), config.queueCapacity());
          listeners.fire(l -> l.queueFull(full));
        }
        return CompletableFuture.failedFuture(saturated(toolName, PoolSaturatedException.Reason.QUEUE_FULL, null));
      }
      var waiter = new Waiter(toolName, route);
      waiters.addLast(waiter);
      long budgetLeft = deadlineNanos - System.nanoTime();
      long queueWait = Math.min(budgetLeft, config.queueTimeout().toNanos());
      boolean budgetBound = budgetLeft <= config.queueTimeout().toNanos();
      waiter.timeout = timer.schedule(() -> expire(waiter, budgetBound, budget), Math.max(0, queueWait), TimeUnit.NANOSECONDS);
      return waiter.future;
    } finally {
      lock.unlock();
    }
  }

  private void expire(Waiter waiter, boolean budgetBound, Duration budget) {
    SnakepitException error;
    lock.lock();
    try {
      if (!waiters.remove(waiter)) {
        return;
      }
      error = budgetBound
          ? new CallTimeoutException(waiter.toolName, null, budget, CallTimeoutException.Phase.QUEUED,
              "Counts: workers=" + workers.size() + ", busy=" + busyCount() + ", queued=" + waiters.size() + ".")
          : saturated(waiter.toolName, PoolSaturatedException.Reason.QUEUE_TIMEOUT, "waited " + config.queueTimeout().toMillis() + " ms");
    } finally {
      lock.unlock();
    }
    waiter.future.completeExceptionally(error);
  }

  private static dev.snakepit.SessionException workerLost(Route route, String toolName, PooledWorker lost) {
    return new dev.snakepit.SessionException(route.sessionId(), dev.snakepit.SessionException.Reason.WORKER_LOST, toolName, lost.id,
        "Session '" + route.sessionId() + "' was bound to worker " + lost.id + ", which "
            + (lost.state == PooledWorker.State.RETIRING || lost.replacing ? "was recycled" : "died")
            + "; its Python-side state is gone. With " + route.affinity() + " affinity the call is not moved to"
            + " another worker: close the session and start a new one (or use HINT affinity).");
  }

  /** Fails queued strict calls of sessions bound to a worker that is gone; called with the lock held. */
  private List<Runnable> failStrictWaitersOf(PooledWorker gone) {
    var failures = new ArrayList<Runnable>();
    for (var it = waiters.iterator(); it.hasNext(); ) {
      var waiter = it.next();
      if (waiter.route == null || !waiter.route.strict()) {
        continue;
      }
      var binding = bindings.get(waiter.route.sessionId());
      if (binding != null && binding.worker == gone) {
        it.remove();
        waiter.timeout.cancel(false);
        var error = workerLost(waiter.route, waiter.toolName, gone);
        failures.add(() -> waiter.future.completeExceptionally(error));
      }
    }
    return failures;
  }

  private void unbind(String sessionId) {
    lock.lock();
    try {
      bindings.remove(sessionId);
    } finally {
      lock.unlock();
    }
  }

  // ---- sessions ----

  /** Creates the session (or touches it); fails when the session cap is reached. */
  public void openSession(String sessionId, Map<String, String> metadata) {
    try {
      sessions.createOrTouch(sessionId, metadata);
    } catch (SessionStore.LimitReachedException e) {
      throw new dev.snakepit.SessionException(sessionId, dev.snakepit.SessionException.Reason.LIMIT_REACHED, null, null,
          "Cannot open session '" + sessionId + "': " + e.getMessage() + ".");
    }
  }

  /** Fails with EXPIRED when the session no longer exists, else marks it used. */
  public void touchSession(String sessionId) {
    if (sessions.get(sessionId).isEmpty()) {
      throw new dev.snakepit.SessionException(sessionId, dev.snakepit.SessionException.Reason.EXPIRED, null, null,
          "Session '" + sessionId + "' expired after being idle longer than the session TTL (" + config.sessionTtl()
              + ") or was cleaned up by a worker; open a new session.");
    }
    sessions.createOrTouch(sessionId, Map.of());
  }

  /** Removes a session: its host record, its binding and its session-scoped host tools. */
  public void closeSession(String sessionId) {
    sessions.remove(sessionId);
  }

  /** The id of the worker a session is bound to, or null. */
  public String boundWorker(String sessionId) {
    lock.lock();
    try {
      var binding = bindings.get(sessionId);
      return binding == null || binding.worker == null ? null : binding.worker.id;
    } finally {
      lock.unlock();
    }
  }

  private PoolSaturatedException saturated(String toolName, PoolSaturatedException.Reason reason, String detail) {
    return new PoolSaturatedException(toolName, reason, workers.size(), busyCount(), waiters.size(), config.queueCapacity(), detail);
  }

  private PooledWorker leastBusy() {
    PooledWorker best = null;
    for (var worker : workers) {
      if (worker.state == PooledWorker.State.READY && worker.inFlight < config.workerConcurrency()
          && (best == null || worker.inFlight < best.inFlight)) {
        best = worker;
      }
    }
    return best;
  }

  private int busyCount() {
    int busy = 0;
    for (var worker : workers) {
      busy += worker.inFlight;
    }
    return busy;
  }

  private void release(PooledWorker worker) {
    List<Runnable> handOffs;
    boolean recycle = false;
    boolean stop = false;
    lock.lock();
    try {
      worker.inFlight--;
      worker.completedCalls++;
      if (worker.state == PooledWorker.State.READY && config.maxCallsPerWorker() > 0
          && worker.completedCalls >= config.maxCallsPerWorker() && !worker.replacing) {
        recycle = true;
      }
      handOffs = worker.state == PooledWorker.State.READY ? handOff(worker) : List.of();
      stop = worker.state == PooledWorker.State.RETIRING && worker.inFlight == 0;
      if (busyCount() == 0) {
        idle.signalAll();
      }
    } finally {
      lock.unlock();
    }
    handOffs.forEach(Runnable::run);
    if (recycle) {
      recycle(worker, "served " + worker.completedCalls + " calls (maxCallsPerWorker " + config.maxCallsPerWorker() + ")");
    }
    if (stop) {
      retire(worker);
    }
  }

  /**
   * Gives the worker's free capacity to queued calls, first come first served among those that may
   * run on it; returns completions to run after unlocking.
   */
  private List<Runnable> handOff(PooledWorker worker) {
    List<Runnable> completions = new ArrayList<>();
    for (var it = waiters.iterator(); it.hasNext() && worker.inFlight < config.workerConcurrency(); ) {
      var waiter = it.next();
      if (waiter.future.isDone()) {
        it.remove();
        continue;
      }
      if (waiter.route != null) {
        var binding = bindings.computeIfAbsent(waiter.route.sessionId(), id -> new Binding());
        if (binding.worker == null || binding.worker.state == PooledWorker.State.DEAD) {
          binding.worker = worker;
        } else if (binding.worker != worker && waiter.route.strict()) {
          continue;
        }
      }
      it.remove();
      waiter.timeout.cancel(false);
      worker.inFlight++;
      completions.add(() -> {
        if (!waiter.future.complete(worker)) {
          release(worker);
        }
      });
    }
    return completions;
  }

  // ---------------------------------------------------------------------------------------------
  // Calls
  // ---------------------------------------------------------------------------------------------

  /** Runs a tool; the future completes on a transport thread. */
  public CompletableFuture<ToolResult> execute(String toolName, Map<String, ?> arguments, CallOptions options) {
    if (!instrumentation.active()) {
      return executeDirect(toolName, arguments, options);
    }
    var call = instrumentation.toolCall(toolName, options, false);
    var outcome = executeDirect(toolName, arguments, call.options());
    outcome.whenComplete((result, error) -> call.completed(result == null ? null : result.workerId(), error));
    return outcome;
  }

  private CompletableFuture<ToolResult> executeDirect(String toolName, Map<String, ?> arguments, CallOptions options) {
    var budget = options.timeoutOverride().orElse(config.callTimeout());
    long deadline = System.nanoTime() + budget.toNanos();
    ToolRequest request;
    Route route;
    try {
      request = ArgumentEncoder.encode(toolName, arguments, options.sessionId(), metadata(options, budget), config.maxMessageSize());
      route = route(options);
    } catch (SnakepitException e) {
      failedCalls.incrementAndGet();
      return CompletableFuture.failedFuture(e);
    }
    // Cancelling the returned future cancels whatever the call is waiting on: its place in the queue or the RPC.
    var pending = new java.util.concurrent.atomic.AtomicReference<CompletableFuture<?>>();
    var outcome = attempt(request, deadline, budget, route, pending);
    if (options.idempotent()) {
      // Only a crash is retried, once: the call may have run, which is safe because the caller said so.
      outcome = outcome.exceptionallyCompose(error -> {
        var cause = unwrap(error);
        if (cause instanceof WorkerCrashedException crashed && deadline - System.nanoTime() > 0 && !isClosing()) {
          LOG.info("Retrying idempotent call to '{}' after worker {} crashed", toolName, crashed.workerId().orElse("?"));
          return attempt(request, deadline, budget, route, pending);
        }
        return CompletableFuture.failedFuture(cause);
      });
    }
    long startNanos = System.nanoTime();
    outcome = outcome.whenComplete((result, error) -> {
      (error == null ? completedCalls : failedCalls).incrementAndGet();
      if (listeners.active()) {
        callFinished(request, startNanos, result, error);
      }
    });
    return cancelling(outcome, pending);
  }

  private void callFinished(ToolRequest request, long startNanos, ToolResult result, Throwable error) {
    var cause = error == null ? null : unwrap(error);
    var code = cause == null ? null
        : cause instanceof SnakepitException se ? se.code()
        : cause instanceof java.util.concurrent.CancellationException ? dev.snakepit.ErrorCode.TIMEOUT
        : dev.snakepit.ErrorCode.TRANSPORT;
    var workerId = result != null ? result.workerId()
        : cause instanceof SnakepitException se ? se.workerId().orElse(null) : null;
    long bytesOut = result == null ? 0 : result.isBinary() ? result.byteBuffer().remaining() : result.json().length();
    var event = new PoolEventListener.CallFinished(request.toolName(), workerId,
        request.sessionId().isEmpty() ? null : request.sessionId(), Duration.ofNanos(System.nanoTime() - startNanos), code,
        request.payloadSize(), bytesOut);
    listeners.fire(l -> l.callFinished(event));
  }

  private CompletableFuture<ToolResult> attempt(ToolRequest request, long deadline, Duration budget, Route route,
      java.util.concurrent.atomic.AtomicReference<CompletableFuture<?>> pending) {
    var acquired = acquire(request.toolName(), deadline, budget, route);
    pending.set(acquired);
    return acquired.thenCompose(worker -> runOn(worker, request, deadline, budget, pending::set));
  }

  /** A future that completes with {@code outcome} and whose cancel() cancels what {@code pending} holds. */
  private static <T> CompletableFuture<T> cancelling(CompletableFuture<T> outcome,
      java.util.concurrent.atomic.AtomicReference<CompletableFuture<?>> pending) {
    return linked(outcome, () -> {
      var inner = pending.get();
      if (inner != null) {
        inner.cancel(true);
      }
    }, null);
  }

  /**
   * A future completed with {@code outcome}'s result (on {@code executor} when given, so callers'
   * continuations leave the thread that completed it), whose cancel() also runs {@code onCancel}.
   */
  private static <T> CompletableFuture<T> linked(CompletableFuture<T> outcome, Runnable onCancel,
      java.util.concurrent.Executor executor) {
    var linked = new CompletableFuture<T>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        onCancel.run();
        return super.cancel(mayInterruptIfRunning);
      }
    };
    java.util.function.BiConsumer<T, Throwable> complete = (result, error) -> {
      if (error != null) {
        linked.completeExceptionally(unwrap(error));
      } else {
        linked.complete(result);
      }
    };
    if (executor == null) {
      outcome.whenComplete(complete);
    } else {
      outcome.whenCompleteAsync(complete, executor);
    }
    return linked;
  }

  /** Runs a tool and hands the caller's continuations to a callback thread, never a transport thread. */
  public CompletableFuture<ToolResult> executeAsync(String toolName, Map<String, ?> arguments, CallOptions options) {
    var internal = execute(toolName, arguments, options);
    return linked(internal, () -> internal.cancel(true), callbacks);
  }

  /** Runs a tool and waits for its result, rethrowing failures as {@link SnakepitException}s. */
  public ToolResult executeSync(String toolName, Map<String, ?> arguments, CallOptions options) {
    return await(execute(toolName, arguments, options), toolName);
  }

  private CompletableFuture<ToolResult> runOn(PooledWorker worker, ToolRequest request, long deadline, Duration budget,
      Consumer<CompletableFuture<?>> onStarted) {
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) {
      release(worker);
      return CompletableFuture.failedFuture(
          new CallTimeoutException(request.toolName(), worker.id, budget, CallTimeoutException.Phase.QUEUED, null));
    }
    if (listeners.active()) {
      listeners.fire(l -> l.callStarted(new PoolEventListener.CallStarted(request.toolName(), worker.id,
          request.sessionId().isEmpty() ? null : request.sessionId(), false)));
    }
    var call = worker.transport.execute(request, Duration.ofNanos(remaining));
    onStarted.accept(call);
    return call.handle((response, error) -> {
      var cause = error == null ? null : unwrap(error);
      var failed = cause == null && !response.success()
          ? decodeError(response.errorJson(), request.toolName(), worker, budget)
          : null;
      if (cause instanceof CallTimeoutException || cause instanceof java.util.concurrent.CancellationException
          || failed instanceof CallTimeoutException
          || (cause instanceof TransportException t && isConnectionLoss(t.status()))) {
        // Python was told to cancel, or the connection dropped (the process may be dying): until the
        // worker shows it is idle and alive, it gets no new call.
        suspect(worker);
      }
      release(worker);
      if (cause != null) {
        return translate(cause, worker, request.toolName(), budget);
      }
      if (failed != null) {
        return CompletableFuture.<ToolResult>failedFuture(failed);
      }
      return CompletableFuture.completedFuture(toResult(response, worker, request.toolName()));
    }).thenCompose(f -> f);
  }

  /** Decodes a worker's error document; the worker's own enforcement of the budget counts as a timeout. */
  private static SnakepitException decodeError(String errorJson, String toolName, PooledWorker worker, Duration budget) {
    var error = ErrorDecoder.decode(errorJson, toolName, worker.id);
    if (error instanceof dev.snakepit.PythonException python && "CancelledError".equals(python.pythonType())
        && "timeout".equals(python.context().get("reason"))) {
      return new CallTimeoutException(toolName, worker.id, budget, CallTimeoutException.Phase.RUNNING, null);
    }
    return error;
  }

  private ToolResult toResult(ToolResponse response, PooledWorker worker, String toolName) {
    var workerId = response.metadata().getOrDefault("snakepit.worker_id", worker.id);
    return new ToolResult(toolName, response.resultJson(), response.binaryResult(), workerId,
        Duration.ofMillis(response.executionTimeMs()), response.metadata());
  }

  /** Maps a transport failure; a dropped connection to a dead process becomes a worker-crashed error. */
  private CompletableFuture<ToolResult> translate(Throwable error, PooledWorker worker, String toolName, Duration budget) {
    if (error instanceof RemoteToolError remote) {
      return CompletableFuture.failedFuture(decodeError(remote.errorJson(), toolName, worker.id == null ? null : worker, budget));
    }
    if (error instanceof CallTimeoutException timeout && !timeout.timeout().equals(budget)) {
      return CompletableFuture.failedFuture(
          new CallTimeoutException(toolName, worker.id, budget, CallTimeoutException.Phase.RUNNING, null));
    }
    if (error instanceof TransportException transport && isConnectionLoss(transport.status())) {
      return worker.process.onExit()
          .orTimeout(CRASH_CONFIRMATION.toMillis(), TimeUnit.MILLISECONDS)
          .handle((code, notDead) -> {
            if (notDead != null) {
              throw transport;
            }
            worker.process.awaitPumps();
            throw crashed(worker, toolName, code);
          });
    }
    return CompletableFuture.failedFuture(error);
  }

  private static boolean isConnectionLoss(String status) {
    return "UNAVAILABLE".equals(status) || "CANCELLED".equals(status) || "INTERNAL".equals(status) || "UNKNOWN".equals(status);
  }

  private static WorkerCrashedException crashed(PooledWorker worker, String toolName, int code) {
    Integer signal = code > 128 ? code - 128 : null;
    Integer exit = code > 128 ? null : code;
    return new WorkerCrashedException(toolName, worker.id, exit, signal, worker.process.stderrTail());
  }

  private Map<String, String> metadata(CallOptions options, Duration budget) {
    var metadata = new HashMap<>(options.metadata());
    metadata.put("timeout_ms", Long.toString(budget.toMillis()));
    metadata.putIfAbsent(CallInstrumentation.CORRELATION_ID, CallInstrumentation.newCorrelationId());
    return metadata;
  }

  // ---------------------------------------------------------------------------------------------
  // Streaming
  // ---------------------------------------------------------------------------------------------

  /** Starts a streaming call and returns its chunks as an iterator. */
  public ToolStream stream(String toolName, Map<String, ?> arguments, CallOptions options) {
    if (!instrumentation.active()) {
      return streamDirect(toolName, arguments, options);
    }
    var call = instrumentation.toolCall(toolName, options, true);
    try {
      return call.watching(streamDirect(toolName, arguments, call.options()));
    } catch (RuntimeException e) {
      call.completed(null, e);
      throw e;
    }
  }

  private ToolStream streamDirect(String toolName, Map<String, ?> arguments, CallOptions options) {
    var budget = options.timeoutOverride().orElse(config.callTimeout());
    long deadline = System.nanoTime() + budget.toNanos();
    var request = ArgumentEncoder.encode(toolName, arguments, options.sessionId(), metadata(options, budget), config.maxMessageSize());
    var route = route(options);
    var worker = await(acquire(toolName, deadline, budget, route), toolName);
    var stream = new ChunkIterator(this, worker, request.toolName(), budget, deadline);
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) {
      stream.close();
      throw new CallTimeoutException(toolName, worker.id, budget, CallTimeoutException.Phase.QUEUED, null);
    }
    streamStarted(worker, request);
    stream.start(worker.transport.stream(request, Duration.ofNanos(remaining), ChunkIterator.BUFFER, stream.listener()));
    return stream;
  }

  /** Starts a streaming call that hands each chunk to {@code onChunk} (serially, on a transport thread). */
  public CompletableFuture<Void> stream(String toolName, Map<String, ?> arguments, CallOptions options, Consumer<StreamChunk> onChunk) {
    if (!instrumentation.active()) {
      return streamDirect(toolName, arguments, options, onChunk);
    }
    var call = instrumentation.toolCall(toolName, options, true);
    var outcome = streamDirect(toolName, arguments, call.options(), call.watching(onChunk));
    outcome.whenComplete((done, error) -> call.completed(null, error));
    return outcome;
  }

  private CompletableFuture<Void> streamDirect(String toolName, Map<String, ?> arguments, CallOptions options,
      Consumer<StreamChunk> onChunk) {
    var budget = options.timeoutOverride().orElse(config.callTimeout());
    long deadline = System.nanoTime() + budget.toNanos();
    ToolRequest request;
    Route route;
    try {
      request = ArgumentEncoder.encode(toolName, arguments, options.sessionId(), metadata(options, budget), config.maxMessageSize());
      route = route(options);
    } catch (SnakepitException e) {
      return CompletableFuture.failedFuture(e);
    }
    var pending = new java.util.concurrent.atomic.AtomicReference<CompletableFuture<?>>();
    var acquired = acquire(toolName, deadline, budget, route);
    pending.set(acquired);
    var outcome = acquired.thenCompose(worker -> {
      var done = new CompletableFuture<Void>();
      pending.set(done);
      var callback = new CallbackStream(this, worker, toolName, budget, onChunk, done);
      streamStarted(worker, request);
      long remaining = Math.max(1, deadline - System.nanoTime());
      worker.transport.stream(request, Duration.ofNanos(remaining), 1, callback);
      return done;
    });
    return cancelling(outcome, pending);
  }

  /** Releases a streaming call's worker (called once per stream). */
  void releaseStream(PooledWorker worker, String toolName, long startNanos, boolean failed) {
    (failed ? failedCalls : completedCalls).incrementAndGet();
    release(worker);
    if (listeners.active()) {
      var event = new PoolEventListener.CallFinished(toolName, worker.id, null, Duration.ofNanos(System.nanoTime() - startNanos),
          failed ? dev.snakepit.ErrorCode.TRANSPORT : null, 0, 0);
      listeners.fire(l -> l.callFinished(event));
    }
  }

  void streamStarted(PooledWorker worker, ToolRequest request) {
    if (listeners.active()) {
      listeners.fire(l -> l.callStarted(new PoolEventListener.CallStarted(request.toolName(), worker.id,
          request.sessionId().isEmpty() ? null : request.sessionId(), true)));
    }
  }

  /** Translates a stream failure synchronously (the consumer thread may wait for the crash to be confirmed). */
  SnakepitException translateStreamError(RuntimeException error, PooledWorker worker, String toolName, Duration budget) {
    try {
      translate(error, worker, toolName, budget).join();
      return new TransportException(toolName, worker.id, "UNKNOWN", "Stream of '" + toolName + "' failed", error);
    } catch (CompletionException e) {
      return (SnakepitException) unwrap(e);
    }
  }

  CompletableFuture<Void> translateStreamErrorAsync(RuntimeException error, PooledWorker worker, String toolName, Duration budget) {
    return translate(error, worker, toolName, budget).thenApply(r -> (Void) null);
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
    lock.lock();
    try {
      int retiring = workers.size() - readyCount();
      return new PoolStats(readyCount(), starting, retiring, busyCount(), waiters.size(), completedCalls.get(),
          failedCalls.get(), restarts.get(), crashes.get(), unhealthyKills.get(), recycles.get(), breakerOpen, sessions.size());
    } finally {
      lock.unlock();
    }
  }

  /** The OS process ids of the live workers. */
  public List<Long> workerPids() {
    lock.lock();
    try {
      return workers.stream().map(w -> w.process.pid()).toList();
    } finally {
      lock.unlock();
    }
  }

  /** Worker ids of the live workers. */
  public List<String> workerIds() {
    lock.lock();
    try {
      return workers.stream().sorted(Comparator.comparingInt(w -> w.slot)).map(w -> w.id).toList();
    } finally {
      lock.unlock();
    }
  }

  /** The run id passed to every worker. */
  public String runId() {
    return runId;
  }

  /** The pool's configuration. */
  public SnakepitConfig config() {
    return config;
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
    List<Waiter> abandoned;
    lock.lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
      abandoned = new ArrayList<>(waiters);
      waiters.clear();
      long waitNanos = config.shutdownGrace().toNanos();
      while (busyCount() > 0 && waitNanos > 0) {
        try {
          waitNanos = idle.awaitNanos(waitNanos);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    } finally {
      lock.unlock();
    }
    abandoned.forEach(w -> {
      w.timeout.cancel(false);
      w.future.completeExceptionally(new PoolClosedException(w.toolName, "closed while the call was queued"));
    });
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running or ran.
    }
    releaseResources();
    LOG.info("Pool {} closed ({} calls completed, {} failed)", config.poolName(), completedCalls.get(), failedCalls.get());
    if (listeners.active()) {
      listeners.fire(l -> l.poolClosed(new PoolEventListener.PoolClosed(config.poolName())));
    }
  }

  /** Tells listeners the pool is started, handing them the {@link dev.snakepit.Snakepit} that wraps it. */
  public void started(dev.snakepit.Snakepit snakepit) {
    if (listeners.active()) {
      listeners.fire(l -> l.poolStarted(new PoolEventListener.PoolStarted(config.poolName(), snakepit)));
    }
  }

  private void closeFromHook() {
    LOG.info("JVM shutting down: closing pool {}", config.poolName());
    close();
  }

  private void releaseResources() {
    List<PooledWorker> toStop;
    List<WorkerProcess> halfStarted;
    lock.lock();
    try {
      closing = true;
      toStop = new ArrayList<>(workers);
      halfStarted = new ArrayList<>(spawning);
    } finally {
      lock.unlock();
    }
    // A worker still starting (a restart racing the close) is killed; its start then fails and is dropped.
    halfStarted.forEach(WorkerProcess::kill);
    if (houseKeeping != null) {
      houseKeeping.cancel(false);
    }
    var stops = toStop.stream()
        .map(w -> CompletableFuture.runAsync(() -> stopWorker(w, config.shutdownGrace()), callbacks))
        .toList();
    stops.forEach(CompletableFuture::join);
    timer.shutdownNow();
    launcher.shutdownNow();
    hostServer.close();
    transports.close();
    callbacks.shutdown();
    try {
      timer.awaitTermination(2, TimeUnit.SECONDS);
      launcher.awaitTermination(2, TimeUnit.SECONDS);
      callbacks.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteRunDirectory();
    registry.delete();
  }

  private void deleteRunDirectory() {
    try (Stream<Path> files = Files.walk(runDirectory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          LOG.debug("Could not delete {}", p, e);
        }
      });
    } catch (IOException e) {
      LOG.debug("Could not clean {}", runDirectory, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------

  static Throwable unwrap(Throwable error) {
    var current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  static <T> T await(CompletableFuture<T> future, String toolName) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      var cause = unwrap(e);
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new TransportException(toolName, null, "UNKNOWN", "Call to '" + toolName + "' failed: " + cause, cause);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new TransportException(toolName, null, "CANCELLED", "Interrupted while waiting for '" + toolName + "'; the call was cancelled.", e);
    }
  }
}
