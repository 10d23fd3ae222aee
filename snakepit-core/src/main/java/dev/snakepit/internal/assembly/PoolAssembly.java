package dev.snakepit.internal.assembly;

import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartupFailedException;
import dev.snakepit.Transport;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.host.SessionStore;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.pool.ProcessWorkerStarter;
import dev.snakepit.internal.pool.WorkerStarter;
import dev.snakepit.internal.pool.WorkerPool;
import dev.snakepit.internal.process.HeartbeatConfig;
import dev.snakepit.internal.process.WorkerLauncher;
import dev.snakepit.internal.process.WorkerRegistry;
import dev.snakepit.internal.telemetry.CallInstrumentation;
import dev.snakepit.internal.time.ExecutorScheduler;
import dev.snakepit.internal.time.Ticker;
import dev.snakepit.internal.tools.HostCalls;
import dev.snakepit.internal.tools.HostContextFactory;
import dev.snakepit.internal.tools.HostToolInvoker;
import dev.snakepit.internal.tools.HostToolRegistry;
import dev.snakepit.internal.transport.TransportFactory;
import dev.snakepit.internal.transport.grpc.AuthToken;
import dev.snakepit.internal.transport.grpc.GrpcTransportFactory;
import dev.snakepit.internal.transport.lane.LaneTransportFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every part of a pool from its config, wires them, and starts the
 * pool. The only place that picks the transport, and the only place that names concrete classes
 * of more than one internal package.
 */
public final class PoolAssembly {
  private static final Logger LOG = LoggerFactory.getLogger(PoolAssembly.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private PoolAssembly() {}

  /**
   * Builds and starts a pool.
   *
   * @param contexts makes the context host tool handlers receive (supplied by the public facade)
   * @throws StartupFailedException when a worker fails to start; nothing is left running then
   */
  public static WorkerPool start(SnakepitConfig config, HostContextFactory contexts) {
    var runId = config.poolName() + "-" + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet();
    Path runDirectory;
    try {
      runDirectory = Files.createTempDirectory("snakepit-" + runId + "-");
    } catch (IOException e) {
      throw new StartupFailedException("-", "cannot create the pool's run directory: " + e.getMessage(), null, null, e);
    }
    var ticker = Ticker.system();
    var token = AuthToken.random();
    var sessions = new SessionStore(config.maxSessions(), ticker);
    var catalog = new ToolCatalog();
    var hostTools = new HostToolRegistry(config.hostTools(), config.callTimeout());
    sessions.onRemove(hostTools::removeSession);
    var instrumentation = new CallInstrumentation(config.callInterceptors(), config.eventListeners());
    hostTools.observe(instrumentation);
    // Host tool handlers may block (they are user code): each call gets its own virtual thread.
    var hostCallThreads = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name(NamedThreadFactory.PREFIX + config.poolName() + "-host-call-", 1).factory());
    var timer = new ScheduledThreadPoolExecutor(1, new NamedThreadFactory(config.poolName(), "timer"));
    // Host calls run in place schedule an alarm each and nearly always call it off: drop those at once.
    timer.setRemoveOnCancelPolicy(true);
    var scheduler = new ExecutorScheduler(timer);
    var hostCalls = new HostToolInvoker(hostTools, hostCallThreads, config.maxMessageSize(), contexts, ticker, scheduler);
    // Workers written for Snakepit do not send our token; accept token-less calls only for them.
    var hostServer = new LazyHostServer(config.poolName(), token, config.workerScript() == null, config.maxMessageSize(),
        sessions, catalog, hostCalls);
    var transports = transportFactory(config, token, runDirectory, hostCalls, hostCallThreads, catalog, sessions::remove);
    var launcher = new WorkerLauncher(config, runId, runDirectory, token.value(), transports, hostServer,
        HeartbeatConfig.defaults());
    var registry = new WorkerRegistry(WorkerRegistry.defaultDirectory(), runId);
    // Remote workers (standalone, on other machines) replace local processes: docs/remote.md.
    var remote = config.remoteWorkers()
        .map(r -> new RemoteAssembly(config, r, ticker, hostCalls, hostCallThreads, catalog)).orElse(null);
    WorkerStarter starter = remote != null ? remote.starter
        : new ProcessWorkerStarter(launcher, transports, registry, catalog, config.eventListeners(),
            config.maxMessageSize(), config.startupTimeout(), ticker);
    var callbacks = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name(NamedThreadFactory.PREFIX + config.poolName() + "-callback-", 1).factory());

    // Closed in this order after the workers stopped.
    var afterWorkers = new ArrayList<AutoCloseable>();
    if (remote != null) {
      afterWorkers.add(remote);
    }
    afterWorkers.add(timer::shutdownNow);
    afterWorkers.add(launcher);
    afterWorkers.add(hostServer);
    afterWorkers.add(transports);
    afterWorkers.add(() -> {
      hostCallThreads.shutdownNow();
      hostCallThreads.awaitTermination(2, TimeUnit.SECONDS);
    });
    afterWorkers.add(() -> {
      callbacks.shutdown();
      timer.awaitTermination(2, TimeUnit.SECONDS);
      callbacks.awaitTermination(2, TimeUnit.SECONDS);
    });
    afterWorkers.add(() -> deleteTree(runDirectory));
    afterWorkers.add(registry::delete);

    var parts = new WorkerPool.Parts(config, ticker, scheduler, callbacks,
        () -> ThreadLocalRandom.current().nextDouble(), starter, sessions, catalog, hostTools, instrumentation, true,
        List.copyOf(afterWorkers), transports::sharedMemoryFallbacks);
    // Workers of instances that died without cleaning up (kill -9 of a JVM) go first.
    WorkerRegistry.reapLeftovers(WorkerRegistry.defaultDirectory());
    try {
      launcher.startForkServer(registry);
    } catch (RuntimeException e) {
      closeQuietly(afterWorkers);
      throw e;
    }
    return WorkerPool.start(parts);
  }

  /**
   * How long idle workers poll for their next call: {@code spinWait} when each worker can have a
   * core, else 0. Polling workers of an overcommitted pool keep CPUs from going idle and taking over
   * runnable work (128 workers on 2 cores served ~40% fewer calls with them polling).
   */
  static java.time.Duration workerSpinWait(SnakepitConfig config, int cores) {
    return config.workers() <= cores ? config.spinWait() : java.time.Duration.ZERO;
  }

  /** The one place that decides how the pool talks to its workers. */
  static TransportFactory transportFactory(SnakepitConfig config, AuthToken token, Path runDirectory, HostCalls hostCalls,
      java.util.concurrent.Executor hostCallThreads, ToolCatalog catalog, java.util.function.Predicate<String> endSession) {
    if (config.effectiveTransport() == Transport.LANE) {
      return new LaneTransportFactory(config.poolName(), runDirectory, token.value(), config.maxMessageSize(), config.spinWait(),
          workerSpinWait(config, Runtime.getRuntime().availableProcessors()), hostCalls, hostCallThreads,
          catalog::register, endSession);
    }
    return new GrpcTransportFactory(config.poolName(), token, config.maxMessageSize(),
        Math.min(2, Runtime.getRuntime().availableProcessors()));
  }

  private static void closeQuietly(List<AutoCloseable> closeables) {
    for (var closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOG.debug("Could not close {}", closeable, e);
      }
    }
  }

  private static void deleteTree(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          LOG.debug("Could not delete {}", p, e);
        }
      });
    } catch (IOException e) {
      LOG.debug("Could not clean {}", directory, e);
    }
  }
}
