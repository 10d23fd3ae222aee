package dev.snakepit.internal.process;

import dev.snakepit.PoolClosedException;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartMode;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.telemetry.WorkerOutput;
import dev.snakepit.internal.transport.TransportFactory;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a worker id into a running process: the command line and environment of the launch
 * contract (including what the pool's transport asks for, and the heartbeat config), spawned from
 * one long-lived thread, because Linux ties parent-death signals to the spawning thread.
 */
public final class WorkerLauncher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerLauncher.class);
  private static final List<String> THREAD_COUNT_VARIABLES =
      List.of("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS");

  private final SnakepitConfig config;
  private final String runId;
  private final Path runDirectory;
  private final String token;
  private final TransportFactory transports;
  private final Supplier<String> hostAddress;
  private final HeartbeatConfig heartbeat;
  private final ExecutorService spawner;
  /** Bounds how many workers start at once (spawn until ready). */
  private final Semaphore startSlots;
  /** Forks workers when the start mode and the template allow it; null: every worker is spawned. */
  private volatile ForkServer forkServer;

  /**
   * Creates the launcher and its spawning thread.
   *
   * @param runId the run id every worker gets on its command line
   * @param runDirectory where ready files go
   * @param token the pool's secret, passed to workers
   * @param transports the pool's transport factory, asked for extra arguments and environment
   * @param hostAddress the host callback server's {@code host:port}; called (and the server started)
   *     only when {@code transports} needs that server
   */
  public WorkerLauncher(SnakepitConfig config, String runId, Path runDirectory, String token, TransportFactory transports,
      Supplier<String> hostAddress, HeartbeatConfig heartbeat) {
    this.config = config;
    this.runId = runId;
    this.runDirectory = runDirectory;
    this.token = token;
    this.transports = transports;
    this.hostAddress = hostAddress;
    this.heartbeat = heartbeat;
    this.spawner = Executors.newSingleThreadExecutor(new NamedThreadFactory(config.poolName(), "launcher"));
    this.startSlots = new Semaphore(config.startupConcurrency(), true);
  }

  /** The launch spec of one worker. */
  public LaunchSpec spec(String workerId) {
    return new LaunchSpec(workerId, command(workerId), environment(workerId), config.workingDirectory(),
        readyFile(workerId), config.shutdownGrace());
  }

  /**
   * Spawns the worker (it is not ready yet: see {@link WorkerProcess#awaitReady}).
   *
   * @throws StartupFailedException when the process cannot be started
   * @throws PoolClosedException when the launcher was closed
   */
  public WorkerProcess spawn(String workerId) {
    var spec = spec(workerId);
    var output = new WorkerOutput.Settings(config.forwardWorkerOutput(), config.workerLogLevel());
    var server = forkServer;
    if (server != null) {
      // The worker's arguments are what follows "<python> -m <module>" on its command line.
      var forked = server.fork(spec, spec.command().subList(3, spec.command().size()), config.startupTimeout());
      if (forked != null) {
        return WorkerProcess.adopt(spec, forked, config.poolName(), output);
      }
    }
    try {
      return spawner.submit(() -> WorkerProcess.start(spec, config.poolName(), output)).get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re
          : new StartupFailedException(workerId, e.getCause().toString(), null, null, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupFailedException(workerId, "interrupted while spawning", null, null, e);
    } catch (RejectedExecutionException e) {
      throw new PoolClosedException(null, "the pool closed while starting " + workerId);
    }
  }

  /**
   * Waits for one of the {@code startupConcurrency} start slots: the caller holds it from the
   * spawn until the worker is ready or failed ({@link #releaseStartSlot()}), so each worker's
   * start-up budget counts from when its own start begins.
   *
   * @throws PoolClosedException when interrupted (the pool is closing)
   */
  public void acquireStartSlot(String workerId) {
    try {
      startSlots.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PoolClosedException(null, "interrupted while waiting to start " + workerId);
    }
  }

  /** Gives back a slot taken by {@link #acquireStartSlot}. */
  public void releaseStartSlot() {
    startSlots.release();
  }

  /**
   * Starts the fork server when the start mode allows it (before the first worker); otherwise,
   * or when the template finds forking unsafe, every worker is spawned (the reason is logged once).
   *
   * @throws dev.snakepit.StartupFailedException in start mode FORK when the pool cannot fork
   */
  public void startForkServer(WorkerRegistry registry) {
    var reason = ForkServer.spawnReason(config);
    if (reason != null) {
      if (config.startMode() == StartMode.FORK) {
        throw new StartupFailedException(config.poolName() + "-template",
            "start mode FORK, but the pool cannot fork: " + reason, null, null, null);
      }
      if (config.startMode() == StartMode.AUTO && config.workerScript() == null && isLinux()) {
        LOG.info("Pool {}: workers are spawned, not forked: {}", config.poolName(), reason);
      }
      return;
    }
    var environment = new HashMap<>(environment(config.poolName() + "-template"));
    environment.remove("SNAKEPIT_READY_FILE");
    environment.remove("SNAKEPIT_WORKER_ID");
    environment.remove("SNAKEPIT_PARENT_WATCH");
    var command = new ArrayList<String>(List.of(config.python().toString(), "-m", "snakepit_bridge.zygote",
        "--adapter", config.adapter(), "--worker-module", config.workerModule(), "--snakepit-run-id", runId));
    if (!config.preloadModules().isEmpty()) {
      command.addAll(List.of("--preload", String.join(",", config.preloadModules())));
    }
    // The template preloads what the workers' transport imports.
    var arguments = transports.workerArguments(config.poolName() + "-template");
    int transport = arguments.indexOf("--transport");
    if (transport >= 0 && transport + 1 < arguments.size()) {
      command.addAll(List.of("--transport", arguments.get(transport + 1)));
    }
    forkServer = ForkServer.start(new ForkServer.Settings(config.poolName(), config.poolName() + "-template", command,
        environment, config.workingDirectory(), runDirectory.resolve("fork-output.sock"), config.startupTimeout(),
        config.restartBackoffInitial(), config.restartBackoffMax(), config.startMode() == StartMode.FORK,
        new WorkerOutput.Settings(config.forwardWorkerOutput(), config.workerLogLevel())), registry);
  }

  private static boolean isLinux() {
    return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
  }

  /** The run id passed to every worker. */
  public String runId() {
    return runId;
  }

  Path readyFile(String workerId) {
    return runDirectory.resolve(workerId + ".ready");
  }

  List<String> command(String workerId) {
    var command = new ArrayList<>(config.baseCommand());
    command.addAll(List.of("--port", "0", "--snakepit-run-id", runId));
    command.addAll(transports.workerArguments(workerId));
    command.addAll(config.extraArguments());
    return command;
  }

  Map<String, String> environment(String workerId) {
    var env = new HashMap<String, String>();
    if (transports.needsHostCallbackServer()) {
      env.put("SNAKEPIT_GRPC_ADDRESS", hostAddress.get());
    }
    env.put("SNAKEPIT_READY_FILE", readyFile(workerId).toString());
    env.put("SNAKEPIT_AUTH_TOKEN", token);
    env.put("SNAKEPIT_WORKER_ID", workerId);
    env.put("SNAKEPIT_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
    env.put("SNAKEPIT_PARENT_WATCH", "stdin");
    env.put("SNAKEPIT_MAX_MESSAGE_BYTES", Integer.toString(config.maxMessageSize()));
    env.put("SNAKEPIT_SHUTDOWN_GRACE_MS", Long.toString(config.shutdownGrace().toMillis()));
    // The worker warns (once per pool) when calls share an adapter that is not declared thread safe.
    env.put("SNAKEPIT_WORKER_CONCURRENCY", Integer.toString(config.workerConcurrency()));
    env.put("SNAKEPIT_HEARTBEAT_CONFIG", heartbeat.toJson());
    // The worker's wait for the host's callback server: its whole start-up budget, not a fixed 5 s
    // that many interpreters starting at once on a small machine can exhaust.
    env.put("SNAKEPIT_HOST_PING_TIMEOUT_MS", Long.toString(config.startupTimeout().toMillis()));
    env.put("PYTHONUNBUFFERED", "1");
    THREAD_COUNT_VARIABLES.forEach(name -> env.put(name, "1"));
    if (!config.pythonPath().isEmpty()) {
      var path = config.pythonPath().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
      var inherited = System.getenv("PYTHONPATH");
      env.put("PYTHONPATH", inherited == null || inherited.isBlank() ? path : path + File.pathSeparator + inherited);
    }
    // Our worker then writes its log records as JSON lines, which WorkerOutput forwards to SLF4J.
    env.put("SNAKEPIT_LOG_FORMAT", "json");
    env.putAll(transports.workerEnvironment(workerId));
    env.putAll(config.mallocEnvironment());
    env.putAll(config.workerEnvironment());
    return env;
  }

  /** Stops the spawning thread; later spawns fail with {@link PoolClosedException}. */
  @Override
  public void close() {
    var server = forkServer;
    forkServer = null;
    if (server != null) {
      server.close();
    }
    spawner.shutdownNow();
    try {
      spawner.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
