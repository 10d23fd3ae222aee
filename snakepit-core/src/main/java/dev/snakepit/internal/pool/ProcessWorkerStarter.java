package dev.snakepit.internal.pool;

import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.process.WorkerLauncher;
import dev.snakepit.internal.process.WorkerProcess;
import dev.snakepit.internal.process.WorkerRegistry;
import dev.snakepit.internal.time.Ticker;
import dev.snakepit.internal.transport.TransportFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts real worker processes: launch, ready file, connect through the pool's transport, Ping (unless connecting proved it ready). */
public final class ProcessWorkerStarter implements WorkerStarter {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessWorkerStarter.class);
  /** The least time a freshly announced worker gets to answer its first Ping. */
  private static final Duration MIN_PING = Duration.ofMillis(500);

  private final WorkerLauncher launcher;
  private final TransportFactory transports;
  private final WorkerRegistry registry;
  private final ToolCatalog catalog;
  private final Listeners listeners;
  private final CallErrors errors;
  private final Duration startupTimeout;
  private final Ticker ticker;

  /** A starter launching with {@code launcher} and connecting through {@code transports}. */
  public ProcessWorkerStarter(WorkerLauncher launcher, TransportFactory transports, WorkerRegistry registry,
      ToolCatalog catalog, List<PoolEventListener> listeners, int maxMessageSize, Duration startupTimeout, Ticker ticker) {
    this.launcher = launcher;
    this.transports = transports;
    this.registry = registry;
    this.catalog = catalog;
    this.listeners = new Listeners(listeners);
    this.errors = new CallErrors(maxMessageSize);
    this.startupTimeout = startupTimeout;
    this.ticker = ticker;
  }

  @Override
  public Started start(String workerId, Guard guard) {
    // At most startupConcurrency workers start at once; the budget counts from this worker's own start.
    launcher.acquireStartSlot(workerId);
    try {
      var process = launcher.spawn(workerId);
      long deadline = ticker.read() + startupTimeout.toNanos();
      if (!guard.spawned(process)) {
        process.stop(Duration.ZERO);
        throw new PoolClosedException(null, "the pool closed while starting " + workerId);
      }
      try {
        return awaitReady(workerId, process, deadline);
      } finally {
        guard.settled(process);
      }
    } finally {
      launcher.releaseStartSlot();
    }
  }

  private Started awaitReady(String workerId, WorkerProcess process, long deadline) {
    registry.add(workerId, process.handle());
    if (listeners.active()) {
      listeners.fire(l -> l.workerStarted(new PoolEventListener.WorkerStarted(workerId, process.pid())));
    }
    try {
      var ready = process.awaitReady(startupTimeout);
      var endpoint = transports.choose(ready);
      var transport = transports.connect(endpoint, workerId);
      var remaining = Duration.ofNanos(Math.max(deadline - ticker.read(), MIN_PING.toNanos()));
      try {
        if (!transports.connectProvesReady()) {
          transport.ping(remaining).get(remaining.toMillis() + 1000, TimeUnit.MILLISECONDS);
        }
      } catch (ExecutionException | TimeoutException | InterruptedException e) {
        transport.close();
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        Throwable cause = e instanceof ExecutionException ? errors.map(e.getCause(), "Ping", workerId, remaining) : e;
        throw new StartupFailedException(workerId, "wrote its ready file (" + endpoint + ") but did not answer Ping: " + cause,
            process.exitCode(), process.stderrTail(), cause);
      }
      LOG.debug("Worker {} ready (pid {}, {}, {} ms)", workerId, process.pid(), endpoint, process.age().toMillis());
      if (listeners.active()) {
        var startup = process.age();
        listeners.fire(l -> l.workerReady(new PoolEventListener.WorkerReady(workerId, process.pid(), startup)));
        // What the worker's tools emit (snakepit_bridge.telemetry) is heard only when someone listens.
        transport.streamTelemetry(event -> listeners.fire(l -> l.telemetry(event)));
      }
      return new Started(process, transport);
    } catch (RuntimeException e) {
      process.stop(Duration.ZERO);
      registry.remove(workerId);
      throw e;
    }
  }

  @Override
  public void forget(String workerId) {
    catalog.forget(workerId);
    registry.remove(workerId);
  }
}
