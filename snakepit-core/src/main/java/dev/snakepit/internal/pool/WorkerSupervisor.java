package dev.snakepit.internal.pool;

import dev.snakepit.PoolEventListener;
import dev.snakepit.SnakepitException;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.process.WorkerHandle;
import dev.snakepit.internal.time.Scheduler;
import dev.snakepit.internal.time.Ticker;
import dev.snakepit.internal.transport.WorkerStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers' life: the first start, replacement of crashed workers with back-off
 * ({@link RestartTask}), recycling ({@link ReplaceTask}), retirement ({@link RetireTask}), health
 * kills and stuck-call recycling. Background work runs as named tasks on the pool's executor and
 * scheduler, so thread dumps and logs say what runs.
 */
final class WorkerSupervisor implements Dispatcher.Supervision, StuckCallMonitor.Target, HouseKeeper.Pool {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerSupervisor.class);

  private final String poolName;
  private final int workerCount;
  private final Duration shutdownGrace;
  private final Dispatcher dispatcher;
  private final WorkerStarter starter;
  private final Backoff backoff;
  private final RecyclePolicy recycling;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final Executor executor;
  private final Listeners listeners;
  private final StuckCallMonitor stuckCalls;
  private final int[] generations;
  /** Processes spawned but not yet ready: closing kills these too. Guarded by itself. */
  private final List<WorkerHandle> spawning = new ArrayList<>();
  private boolean startsClosed;

  final AtomicLong restarts = new AtomicLong();
  final AtomicLong crashes = new AtomicLong();
  final AtomicLong unhealthyKills = new AtomicLong();
  final AtomicLong recycles = new AtomicLong();
  /** How long a stuck worker gets to write its stack dump before it is recycled anyway. */
  static final Duration STACK_DUMP_WAIT = Duration.ofSeconds(2);

  WorkerSupervisor(String poolName, int workerCount, Duration shutdownGrace, Duration stuckCallGrace,
      Duration healthCheckTimeout, Dispatcher dispatcher, WorkerStarter starter, Backoff backoff, RecyclePolicy recycling,
      Ticker ticker, Scheduler scheduler, Executor executor, Listeners listeners) {
    this.poolName = poolName;
    this.workerCount = workerCount;
    this.shutdownGrace = shutdownGrace;
    this.dispatcher = dispatcher;
    this.starter = starter;
    this.backoff = backoff;
    this.recycling = recycling;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.executor = executor;
    this.listeners = listeners;
    this.generations = new int[workerCount];
    this.stuckCalls = new StuckCallMonitor(stuckCallGrace, healthCheckTimeout, ticker, scheduler, this);
    dispatcher.supervisedBy(this);
  }

  // ---------------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------------

  /** Starts every worker concurrently; fails (stopping those that started) if any fails. */
  void startAll() {
    dispatcher.startingMore(workerCount);
    var futures = new ArrayList<CompletableFuture<PooledWorker>>();
    for (int slot = 0; slot < workerCount; slot++) {
      int s = slot;
      futures.add(CompletableFuture.supplyAsync(() -> startWorker(s), executor));
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
    dispatcher.addInitial(started);
    started.forEach(this::watchExit);
    LOG.info("Pool {} ready: {} workers ({})", poolName, started.size(),
        started.stream().map(w -> w.id + "/pid " + w.process.pid()).collect(Collectors.joining(", ")));
  }

  private PooledWorker startWorker(int slot) {
    int generation;
    synchronized (generations) {
      generation = ++generations[slot];
    }
    var workerId = poolName + "-w" + (slot + 1) + "-g" + generation;
    var started = starter.start(workerId, new WorkerStarter.Guard() {
      @Override
      public boolean spawned(WorkerHandle process) {
        synchronized (spawning) {
          return !startsClosed && spawning.add(process);
        }
      }

      @Override
      public void settled(WorkerHandle process) {
        synchronized (spawning) {
          spawning.remove(process);
        }
      }
    });
    return new PooledWorker(slot, generation, workerId, started.process(), started.transport(),
        recycling.retireAt(ticker.read()));
  }

  private void watchExit(PooledWorker worker) {
    worker.process.onExit().thenAcceptAsync(code -> onWorkerExit(worker, code), executor);
  }

  private void onWorkerExit(PooledWorker worker, int exitCode) {
    boolean expected = dispatcher.remove(worker);
    starter.forget(worker.id);
    worker.transport.close();
    if (expected) {
      return;
    }
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
      var oom = worker.process.oomKillEvidence();
      LOG.warn("Worker {} (pid {}) died unexpectedly: {}{}; starting a replacement. Last stderr lines:\n{}",
          worker.id, worker.process.pid(), describeExit(exitCode), oom == null ? "" : ", by " + oom,
          worker.process.stderrTail());
    }
    scheduleRestart(worker.slot, 0);
  }

  static String describeExit(int exitCode) {
    return exitCode > 128 ? "killed by signal " + (exitCode - 128) : "exit code " + exitCode;
  }

  // ---------------------------------------------------------------------------------------------
  // Restart with back-off
  // ---------------------------------------------------------------------------------------------

  private void scheduleRestart(int slot, int attempt) {
    var task = new RestartTask(slot, attempt);
    scheduler.schedule(() -> submit(task, dispatcher::startAbandoned), backoff.delay(attempt));
  }

  /** Starts a replacement for a crashed worker's slot; a failure retries later with a longer wait. */
  private final class RestartTask implements Runnable {
    private final int slot;
    private final int attempt;

    RestartTask(int slot, int attempt) {
      this.slot = slot;
      this.attempt = attempt;
    }

    @Override
    public void run() {
      if (dispatcher.isClosing()) {
        dispatcher.startAbandoned();
        return;
      }
      PooledWorker worker;
      try {
        worker = startWorker(slot);
      } catch (RuntimeException e) {
        if (dispatcher.isClosing()) {
          dispatcher.startAbandoned();
          return;
        }
        LOG.warn("Restart of worker slot {} failed (attempt {}): {}", slot + 1, attempt + 1, e.getMessage());
        startFailed(e);
        scheduleRestart(slot, attempt + 1);
        return;
      }
      if (admit(worker, null, restarts)) {
        LOG.info("Worker {} started as a replacement (pid {})", worker.id, worker.process.pid());
      }
    }
  }

  private boolean admit(PooledWorker fresh, PooledWorker old, AtomicLong counter) {
    var admission = dispatcher.admit(fresh, old);
    if (!admission.accepted()) {
      stopWorker(fresh, Duration.ZERO);
      return false;
    }
    if (admission.breakerClosed()) {
      LOG.info("Pool {} breaker closed: worker {} started", poolName, fresh.id);
      if (listeners.active()) {
        listeners.fire(l -> l.breakerClosed(new PoolEventListener.BreakerClosed(fresh.id)));
      }
    }
    counter.incrementAndGet();
    watchExit(fresh);
    if (admission.stopReplacedNow()) {
      drained(old);
    }
    return true;
  }

  private void startFailed(RuntimeException failure) {
    var opened = dispatcher.startFailed(failure);
    if (opened != null) {
      LOG.error("Pool {} breaker open: the last {} worker starts failed. Calls fail fast until a start succeeds. "
          + "Last failure: {}", poolName, opened.failedStarts(), opened.lastFailure());
      if (listeners.active()) {
        listeners.fire(l -> l.breakerOpened(opened));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Recycle, retire, stuck calls, health
  // ---------------------------------------------------------------------------------------------

  @Override
  public void recycle(PooledWorker worker, String reason) {
    recycle(worker, reason, null);
  }

  private void recycle(PooledWorker worker, String reason, String pythonStacks) {
    if (!dispatcher.beginReplacing(worker)) {
      return;
    }
    LOG.info("Recycling worker {} (pid {}): {}", worker.id, worker.process.pid(), reason);
    if (listeners.active()) {
      listeners.fire(l -> l.workerRecycled(new PoolEventListener.WorkerRecycled(worker.id, reason, pythonStacks)));
    }
    submit(new ReplaceTask(worker), dispatcher::startAbandoned);
  }

  @Override
  public void recycleStuck(PooledWorker worker, String reason) {
    // Waiting for the dump blocks: not on the transport thread that delivered the Ping.
    submit(new StuckRecycleTask(worker, reason), () -> { });
  }

  /**
   * Before a stuck worker goes, its Python stacks (all threads, by SIGUSR2) show where the call
   * hangs: into the log and the recycle event. The worker's stderr tail holds them too, so a call
   * still on it that fails when it stops carries them.
   */
  private final class StuckRecycleTask implements Runnable {
    private final PooledWorker worker;
    private final String reason;

    StuckRecycleTask(PooledWorker worker, String reason) {
      this.worker = worker;
      this.reason = reason;
    }

    @Override
    public void run() {
      var stacks = worker.process.dumpStacks(STACK_DUMP_WAIT);
      if (stacks == null) {
        LOG.warn("Worker {} (pid {}) is stuck ({}); it gave no Python stack dump within {} ms", worker.id,
            worker.process.pid(), reason, STACK_DUMP_WAIT.toMillis());
      } else {
        LOG.warn("Worker {} (pid {}) is stuck ({}). Python stacks of all its threads:\n{}", worker.id,
            worker.process.pid(), reason, stacks);
      }
      recycle(worker, reason, stacks);
    }
  }

  @Override
  public void recycleDue(PooledWorker worker, String reason) {
    recycle(worker, reason);
  }

  /** Starts a worker to take over from one being recycled; the old one retires once the new one is ready. */
  private final class ReplaceTask implements Runnable {
    private final PooledWorker old;

    ReplaceTask(PooledWorker old) {
      this.old = old;
    }

    @Override
    public void run() {
      PooledWorker fresh;
      try {
        fresh = startWorker(old.slot);
      } catch (RuntimeException e) {
        var next = dispatcher.replacementFailed(old);
        if (dispatcher.isClosing()) {
          return;
        }
        startFailed(e);
        LOG.warn("Could not start a replacement for worker {}: {}", old.id, e.getMessage());
        switch (next) {
          case RESTART_SLOT -> scheduleRestart(old.slot, 1);
          // It cannot serve and cannot be replaced yet: kill it, and the crash path restarts with back-off.
          case KILL_STUCK -> old.process.kill();
          case NOTHING -> { }
        }
        return;
      }
      if (admit(fresh, old, recycles)) {
        LOG.info("Worker {} (pid {}) replaced {}", fresh.id, fresh.process.pid(), old.id);
      }
    }
  }

  @Override
  public void drained(PooledWorker worker) {
    submit(new RetireTask(worker), () -> { });
  }

  /** Stops a worker that finished its last call after being replaced. */
  private final class RetireTask implements Runnable {
    private final PooledWorker worker;

    RetireTask(PooledWorker worker) {
      this.worker = worker;
    }

    @Override
    public void run() {
      stopWorker(worker, shutdownGrace);
    }
  }

  /** Stops a worker: it takes no calls, its connection closes, its process gets SIGTERM then SIGKILL. */
  void stopWorker(PooledWorker worker, Duration grace) {
    dispatcher.retiring(worker);
    worker.transport.close();
    worker.process.stop(grace);
    starter.forget(worker.id);
    if (listeners.active()) {
      listeners.fire(l -> l.workerRetired(new PoolEventListener.WorkerRetired(worker.id, worker.process.pid(), worker.completedCalls)));
    }
  }

  /** After a cancelled or timed-out call: no calls until the worker shows it is idle. */
  void suspect(PooledWorker worker) {
    if (dispatcher.suspect(worker)) {
      stuckCalls.watch(worker);
    }
  }

  @Override
  public Boolean settle(PooledWorker worker, WorkerStatus status, Throwable error) {
    return dispatcher.settle(worker, status, error);
  }

  @Override
  public List<PooledWorker> readyWorkers() {
    return dispatcher.readyWorkers();
  }

  @Override
  public void healthChecked(PooledWorker worker, Throwable error) {
    if (dispatcher.healthChecked(worker, error)) {
      unhealthyKills.incrementAndGet();
      LOG.warn("Worker {} (pid {}) missed {} health checks in a row (last: {}); killing it", worker.id,
          worker.process.pid(), worker.missedPings, error.getMessage());
      worker.process.kill();
    }
  }

  /** Kills workers still starting and refuses new starts (the pool is closing). */
  void closeStarts() {
    List<WorkerHandle> halfStarted;
    synchronized (spawning) {
      startsClosed = true;
      halfStarted = new ArrayList<>(spawning);
    }
    // A restart racing the close is killed; its start then fails and is dropped.
    halfStarted.forEach(WorkerHandle::kill);
  }

  private void submit(Runnable task, Runnable onRejected) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      onRejected.run();
    }
  }
}
