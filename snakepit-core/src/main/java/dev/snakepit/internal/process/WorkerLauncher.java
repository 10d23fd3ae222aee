package dev.snakepit.internal.process;

import dev.snakepit.PoolClosedException;
import dev.snakepit.SnakepitConfig;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Turns a worker id into a running process: the command line and environment of the launch
 * contract (including what the pool's transport asks for, and the heartbeat config), spawned from
 * one long-lived thread, because Linux ties parent-death signals to the spawning thread.
 */
public final class WorkerLauncher implements AutoCloseable {
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
    spawner.shutdownNow();
    try {
      spawner.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
