package dev.snakepit;

import dev.snakepit.internal.assembly.PoolAssembly;
import dev.snakepit.internal.pool.WorkerPool;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A pool of Python worker processes whose tools you call. One long-lived, thread-safe object per
 * adapter; close it to stop every worker.
 *
 * <pre>{@code
 * try (var pit = Snakepit.start(SnakepitConfig.builder().adapter("my_pkg.MyAdapter").workers(4).build())) {
 *   long sum = pit.execute("add", Map.of("a", 2, "b", 2)).asLong();
 * }
 * }</pre>
 *
 * <p>Every failure is a {@link SnakepitException}: {@link ToolNotFoundException},
 * {@link InvalidArgumentsException}, {@link PythonException} (with the Python traceback),
 * {@link WorkerCrashedException}, {@link CallTimeoutException}, {@link PoolSaturatedException},
 * {@link PoolClosedException}, {@link StartupFailedException}, {@link PayloadTooLargeException}.
 */
public final class Snakepit implements AutoCloseable {
  private final WorkerPool pool;
  private volatile boolean started;

  private Snakepit(SnakepitConfig config) {
    // Host tool handlers reach this facade through their context; they may use it once start returned.
    this.pool = PoolAssembly.start(config,
        (tool, sessionId, metadata, remaining) -> new PoolHostToolContext(this, tool, sessionId, metadata, remaining));
    started = true;
    pool.publish(l -> l.poolStarted(new PoolEventListener.PoolStarted(config.poolName(), this)));
  }

  /**
   * Starts a pool: the host callback server, then every worker concurrently. Returns once all
   * workers answer Ping.
   *
   * <p>Before that, the Python side is resolved: a {@link SnakepitConfig#pythonEnvironment() managed
   * environment} is prepared, and when the interpreter lacks this version of {@code snakepit_bridge},
   * the copy bundled in the jar is put on the workers' PYTHONPATH.
   *
   * @throws StartupFailedException when a worker exits or misses the start-up timeout (its message
   *     carries the tail of the worker's stderr, e.g. the traceback of an adapter that failed to import),
   *     or when the managed environment cannot be built (with the installer's output)
   */
  public static Snakepit start(SnakepitConfig config) {
    return new Snakepit(dev.snakepit.internal.python.PythonSetup.prepare(config));
  }

  /** Whether {@link #start} has returned this pool (host tool handlers may use it from then on). */
  boolean isStarted() {
    return started;
  }

  // ---- managed Python environments: PythonEnvironment delegates here (the facade is the one public
  // class that reaches the internals) ----

  static java.nio.file.Path defaultEnvironmentCache() {
    return dev.snakepit.internal.python.CacheDirectory.root().resolve("envs");
  }

  static java.nio.file.Path environmentDirectory(PythonEnvironment environment) {
    return dev.snakepit.internal.python.EnvironmentBuilder.directory(environment);
  }

  static boolean environmentReady(PythonEnvironment environment) {
    return dev.snakepit.internal.python.EnvironmentBuilder.isReady(environmentDirectory(environment));
  }

  static java.nio.file.Path prepareEnvironment(PythonEnvironment environment) {
    return dev.snakepit.internal.python.EnvironmentBuilder.prepare(environment);
  }

  static SnakepitConfig resolvePython(SnakepitConfig config) {
    return dev.snakepit.internal.python.PythonSetup.prepare(config);
  }

  /** Starts a pool with the default config (the showcase adapter, 2 workers). */
  public static Snakepit start() {
    return start(SnakepitConfig.defaults());
  }

  /** Shorthand for {@link SnakepitConfig#builder()}; finish with {@code build()} and pass it to {@link #start(SnakepitConfig)}. */
  public static SnakepitConfig.Builder builder() {
    return SnakepitConfig.builder();
  }

  /** Runs a tool without arguments. */
  public ToolResult execute(String tool) {
    return execute(tool, Map.of(), CallOptions.defaults());
  }

  /**
   * Runs a tool and waits for its result. Argument values travel as JSON (anything Jackson can
   * write), except {@code byte[]} and {@link java.nio.ByteBuffer} values, which travel as raw bytes.
   */
  public ToolResult execute(String tool, Map<String, ?> arguments) {
    return execute(tool, arguments, CallOptions.defaults());
  }

  /** Runs a tool with per-call options and waits for its result. */
  public ToolResult execute(String tool, Map<String, ?> arguments, CallOptions options) {
    return pool.executeSync(tool, arguments, options);
  }

  /**
   * Runs a tool without blocking. The future fails with a {@link SnakepitException}; dependent
   * stages run on a library callback thread, never on a transport thread. Cancelling it cancels the
   * call (in Python too).
   */
  public CompletableFuture<ToolResult> executeAsync(String tool, Map<String, ?> arguments) {
    return executeAsync(tool, arguments, CallOptions.defaults());
  }

  /** Runs a tool without blocking, with per-call options. */
  public CompletableFuture<ToolResult> executeAsync(String tool, Map<String, ?> arguments, CallOptions options) {
    return pool.executeAsync(tool, arguments, options);
  }

  /**
   * Starts a streaming tool and returns its chunks as they arrive. Close the stream
   * (try-with-resources); closing it early cancels the Python generator.
   */
  public ToolStream stream(String tool, Map<String, ?> arguments) {
    return stream(tool, arguments, CallOptions.defaults());
  }

  /** Starts a streaming tool with per-call options. */
  public ToolStream stream(String tool, Map<String, ?> arguments, CallOptions options) {
    return pool.stream(tool, arguments, options);
  }

  /**
   * Starts a streaming tool and hands each chunk to {@code onChunk}, serially, as it arrives. The
   * future completes when the stream ends; cancelling it cancels the stream; if {@code onChunk}
   * throws, the stream is cancelled and the future fails with that exception.
   */
  public CompletableFuture<Void> stream(String tool, Map<String, ?> arguments, CallOptions options, Consumer<StreamChunk> onChunk) {
    return pool.stream(tool, arguments, options, onChunk);
  }

  /**
   * Opens (or reopens) the session with this id, with the pool's default affinity. Its calls carry
   * the id to Python and follow the worker their first call was bound to.
   *
   * @throws SessionException with {@link SessionException.Reason#LIMIT_REACHED} at the session cap
   */
  public Session session(String id) {
    return session(id, pool.config().sessionAffinity());
  }

  /** Opens (or reopens) the session with this id and affinity mode. */
  public Session session(String id, Affinity affinity) {
    java.util.Objects.requireNonNull(id, "id");
    java.util.Objects.requireNonNull(affinity, "affinity");
    if (id.isBlank() || id.length() > 256) {
      throw new IllegalArgumentException("session id must be 1 to 256 non-blank characters, was '" + id + "'");
    }
    pool.openSession(id, java.util.Map.of());
    return new Session(this, id, affinity);
  }

  /** Opens a session with a fresh random id and the pool's default affinity. */
  public Session session() {
    return session("session-" + java.util.UUID.randomUUID());
  }

  /** The id of the worker a session is bound to, or null (for {@link Session}). */
  String boundWorker(String sessionId) {
    return pool.boundWorker(sessionId);
  }

  /** Fails with EXPIRED when the session no longer exists, else marks it used (for {@link Session}). */
  void touchSession(String sessionId) {
    pool.touchSession(sessionId);
  }

  /** Removes a session (for {@link Session}). */
  void closeSession(String sessionId) {
    pool.closeSession(sessionId);
  }

  /**
   * A typed client: an implementation of interface {@code type} (written by {@code snakepit codegen})
   * whose {@link PythonTool} methods call this pool.
   *
   * @throws IllegalArgumentException when {@code type} is not such an interface (the message names the method)
   */
  public <T> T client(Class<T> type) {
    return dev.snakepit.internal.client.ToolClients.create(type, new dev.snakepit.internal.client.ToolClients.Target(
        this::execute, this::executeAsync, this::stream, "pool " + config().poolName()));
  }

  /** A typed client whose calls run in {@code session} (for {@link Session#client}). */
  <T> T client(Class<T> type, Session session) {
    return dev.snakepit.internal.client.ToolClients.create(type, new dev.snakepit.internal.client.ToolClients.Target(
        session::execute, session::executeAsync, session::stream, "session " + session.id()));
  }

  /** The tools the workers offer, with their parameters, sorted by name. */
  public List<ToolInfo> tools() {
    return pool.tools();
  }

  /**
   * The pool's host tools: Java functions Python tools call with {@code ctx.call_host_tool(name, **kwargs)}.
   * Register more at any time, globally or for one session.
   */
  public HostTools hostTools() {
    return pool.hostTools();
  }

  /** A snapshot of the pool's counts. */
  public PoolStats stats() {
    return pool.stats();
  }

  /** The OS process ids of the live workers (for monitoring and tests). */
  public List<Long> workerPids() {
    return pool.workerPids();
  }

  /** The ids of the live workers. */
  public List<String> workerIds() {
    return pool.workerIds();
  }

  /** The pool's configuration. */
  public SnakepitConfig config() {
    return pool.config();
  }

  /**
   * Stops admitting calls, fails queued ones with {@link PoolClosedException}, lets in-flight
   * calls finish within the shutdown grace, then stops every worker (SIGTERM, then SIGKILL).
   * Afterwards no Python process, thread, socket or temp file of this pool remains. Idempotent.
   */
  @Override
  public void close() {
    pool.close();
  }
}
