package dev.snakepit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Immutable, validated configuration of a pool. Start from {@link #builder()}; derive variants with
 * {@link #toBuilder()}. Setters reject bad values at once with a message that shows the value;
 * cross-field rules are checked in {@link Builder#build()}.
 */
public final class SnakepitConfig {
  /** The module our own worker runs: {@code python -m snakepit_bridge.server}. */
  public static final String DEFAULT_WORKER_MODULE = "snakepit_bridge.server";
  /** The adapter used when none is configured. */
  public static final String SHOWCASE_ADAPTER = "snakepit_bridge.adapters.showcase.ShowcaseAdapter";
  /**
   * glibc malloc settings workers get by default ({@link Builder#mallocTuning(boolean)}): freed
   * memory stays in the worker for reuse instead of going back to the OS, so the next large bytes
   * object does not fault in (and zero) fresh pages; large payloads move about twice as fast. The
   * cost: a worker's resident memory stays near its peak (up to 256 MiB of it free). Ignored by
   * other allocators; a variable set with {@link Builder#workerEnvironment(String, String)} wins.
   */
  public static final Map<String, String> MALLOC_TUNING = Map.of(
      "MALLOC_ARENA_MAX", "2",
      "MALLOC_MMAP_THRESHOLD_", "1073741824",
      "MALLOC_TRIM_THRESHOLD_", "268435456",
      "MALLOC_TOP_PAD_", "67108864");

  private static final Pattern ADAPTER_NAME = Pattern.compile("[A-Za-z_][\\w]*(\\.[A-Za-z_][\\w]*)+");
  private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,39}");
  private static final Pattern MODULE_NAME = Pattern.compile("[A-Za-z_]\\w*(\\.[A-Za-z_]\\w*)*");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final String poolName;
  private final Path python;
  private final String workerModule;
  private final Path workerScript;
  private final String adapter;
  private final List<String> extraArguments;
  private final List<Path> pythonPath;
  private final Path workingDirectory;
  private final Map<String, String> workerEnvironment;
  private final boolean mallocTuning;
  private final int workers;
  private final int workerConcurrency;
  private final Integer hotWorkers;
  private final Duration spinWait;
  private final Duration startupTimeout;
  private final Duration callTimeout;
  private final int queueCapacity;
  private final Duration queueTimeout;
  private final int maxMessageSize;
  private final Duration shutdownGrace;
  private final Duration restartBackoffInitial;
  private final Duration restartBackoffMax;
  private final Duration healthCheckInterval;
  private final Duration healthCheckTimeout;
  private final long maxCallsPerWorker;
  private final Duration maxWorkerAge;
  private final long maxWorkerMemory;
  private final Duration stuckCallGrace;
  private final int breakerThreshold;
  private final Affinity sessionAffinity;
  private final Duration sessionTtl;
  private final int maxSessions;
  private final List<PoolEventListener> eventListeners;
  private final List<HostTool> hostTools;
  private final List<CallInterceptor> callInterceptors;
  private final boolean forwardWorkerOutput;
  private final org.slf4j.event.Level workerLogLevel;
  private final PythonEnvironment pythonEnvironment;
  private final RemoteWorkers remoteWorkers;
  private final SessionDirectory sessionDirectory;
  private final StartMode startMode;
  private final Transport transport;
  private final List<String> preloadModules;
  private final int startupConcurrency;

  private SnakepitConfig(Builder b) {
    this.poolName = b.poolName;
    this.python = b.python != null ? b.python : PythonLocator.defaultPython();
    this.workerModule = b.workerModule;
    this.workerScript = b.workerScript;
    this.adapter = b.adapter;
    this.extraArguments = List.copyOf(b.extraArguments);
    this.pythonPath = List.copyOf(b.pythonPath);
    this.workingDirectory = b.workingDirectory;
    this.workerEnvironment = Map.copyOf(b.workerEnvironment);
    this.mallocTuning = b.mallocTuning;
    this.workers = b.workers;
    this.workerConcurrency = b.workerConcurrency;
    this.hotWorkers = b.hotWorkers;
    this.spinWait = b.spinWait;
    this.startupTimeout = b.startupTimeout;
    this.callTimeout = b.callTimeout;
    this.queueCapacity = b.queueCapacity;
    this.queueTimeout = b.queueTimeout != null ? b.queueTimeout : b.callTimeout;
    this.maxMessageSize = b.maxMessageSize;
    this.shutdownGrace = b.shutdownGrace;
    this.restartBackoffInitial = b.restartBackoffInitial;
    this.restartBackoffMax = b.restartBackoffMax;
    this.healthCheckInterval = b.healthCheckInterval;
    this.healthCheckTimeout = b.healthCheckTimeout;
    this.maxCallsPerWorker = b.maxCallsPerWorker;
    this.maxWorkerAge = b.maxWorkerAge;
    this.maxWorkerMemory = b.maxWorkerMemory;
    this.stuckCallGrace = b.stuckCallGrace;
    this.breakerThreshold = b.breakerThreshold;
    this.sessionAffinity = b.sessionAffinity;
    this.sessionTtl = b.sessionTtl;
    this.maxSessions = b.maxSessions;
    this.eventListeners = List.copyOf(b.eventListeners);
    this.hostTools = List.copyOf(b.hostTools.values());
    this.callInterceptors = List.copyOf(b.callInterceptors);
    this.forwardWorkerOutput = b.forwardWorkerOutput;
    this.workerLogLevel = b.workerLogLevel;
    this.pythonEnvironment = b.pythonEnvironment;
    this.remoteWorkers = b.remoteWorkers;
    this.sessionDirectory = b.sessionDirectory;
    this.startMode = b.startMode;
    this.transport = b.transport;
    this.preloadModules = List.copyOf(b.preloadModules);
    this.startupConcurrency = b.startupConcurrency > 0 ? b.startupConcurrency
        : defaultStartupConcurrency(Runtime.getRuntime().availableProcessors());
  }

  /** Workers started at once by default: two per core, at least 4 (starting is mostly waiting and importing). */
  static int defaultStartupConcurrency(int cores) {
    return Math.max(4, 2 * cores);
  }

  /** A builder with the defaults: showcase adapter, 2 workers, 30 s call timeout, 128 MiB messages. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults, unchanged. */
  public static SnakepitConfig defaults() {
    return builder().build();
  }

  /** A builder holding this config's values, to derive a variant. */
  public Builder toBuilder() {
    var b = new Builder();
    b.poolName = poolName;
    b.python = python;
    b.workerModule = workerModule;
    b.workerScript = workerScript;
    b.adapter = adapter;
    b.extraArguments.addAll(extraArguments);
    b.pythonPath.addAll(pythonPath);
    b.workingDirectory = workingDirectory;
    b.workerEnvironment.putAll(workerEnvironment);
    b.mallocTuning = mallocTuning;
    b.workers = workers;
    b.workerConcurrency = workerConcurrency;
    b.hotWorkers = hotWorkers;
    b.spinWait = spinWait;
    b.startupTimeout = startupTimeout;
    b.callTimeout = callTimeout;
    b.queueCapacity = queueCapacity;
    b.queueTimeout = queueTimeout;
    b.maxMessageSize = maxMessageSize;
    b.shutdownGrace = shutdownGrace;
    b.restartBackoffInitial = restartBackoffInitial;
    b.restartBackoffMax = restartBackoffMax;
    b.healthCheckInterval = healthCheckInterval;
    b.healthCheckTimeout = healthCheckTimeout;
    b.maxCallsPerWorker = maxCallsPerWorker;
    b.maxWorkerAge = maxWorkerAge;
    b.maxWorkerMemory = maxWorkerMemory;
    b.stuckCallGrace = stuckCallGrace;
    b.breakerThreshold = breakerThreshold;
    b.sessionAffinity = sessionAffinity;
    b.sessionTtl = sessionTtl;
    b.maxSessions = maxSessions;
    b.eventListeners.addAll(eventListeners);
    hostTools.forEach(t -> b.hostTools.put(t.name(), t));
    b.callInterceptors.addAll(callInterceptors);
    b.forwardWorkerOutput = forwardWorkerOutput;
    b.workerLogLevel = workerLogLevel;
    b.pythonEnvironment = pythonEnvironment;
    b.remoteWorkers = remoteWorkers;
    b.sessionDirectory = sessionDirectory;
    b.startMode = startMode;
    b.transport = transport;
    b.preloadModules.addAll(preloadModules);
    b.startupConcurrency = startupConcurrency;
    return b;
  }

  /** Name used in thread names, worker ids and logs. */
  public String poolName() {
    return poolName;
  }

  /** The Python interpreter that runs workers. */
  public Path python() {
    return python;
  }

  /** The module run with {@code -m} when no worker script is set. */
  public String workerModule() {
    return workerModule;
  }

  /** A script run instead of the worker module (e.g. a Snakepit {@code grpc_server.py}), or null. */
  public Path workerScript() {
    return workerScript;
  }

  /** The adapter class, {@code module.Class}. */
  public String adapter() {
    return adapter;
  }

  /** Extra command-line arguments appended to each worker's command. */
  public List<String> extraArguments() {
    return extraArguments;
  }

  /** Directories put on the workers' {@code PYTHONPATH}, before any inherited entries. */
  public List<Path> pythonPath() {
    return pythonPath;
  }

  /** The workers' working directory, or null for the JVM's. */
  public Path workingDirectory() {
    return workingDirectory;
  }

  /** Extra environment variables for the workers. */
  public Map<String, String> workerEnvironment() {
    return workerEnvironment;
  }

  /** The malloc settings workers get: {@link #MALLOC_TUNING}, or none when turned off. */
  public Map<String, String> mallocEnvironment() {
    return mallocTuning ? MALLOC_TUNING : Map.of();
  }

  /** Number of worker processes. */
  public int workers() {
    return workers;
  }

  /** Calls one worker runs at once (1: a worker serves one call at a time). */
  public int workerConcurrency() {
    return workerConcurrency;
  }

  /**
   * The fewest workers the dispatcher keeps busy before it holds calls back for hot ones (see
   * {@link Builder#hotWorkers}): as set, else the available processors for local workers and 0
   * (never hold back) for remote ones.
   */
  public int hotWorkers() {
    if (hotWorkers != null) {
      return hotWorkers;
    }
    return remoteWorkers != null ? 0 : Runtime.getRuntime().availableProcessors();
  }

  /** How long a caller and a worker poll for the other's next frame before blocking (lane only; see {@link Builder#spinWait}). */
  public Duration spinWait() {
    return spinWait;
  }

  /** How long a worker may take from spawn to answering Ping. */
  public Duration startupTimeout() {
    return startupTimeout;
  }

  /** Default time budget of a call, queueing included; per-call options may override it. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** Calls that may wait for a worker when all are busy. 0 means no queue: reject at once. */
  public int queueCapacity() {
    return queueCapacity;
  }

  /** Longest wait in the queue (never longer than the call's own budget). */
  public Duration queueTimeout() {
    return queueTimeout;
  }

  /** Largest gRPC message, in bytes, in either direction. */
  public int maxMessageSize() {
    return maxMessageSize;
  }

  /** How long {@code close()} lets in-flight calls finish, and workers stop after SIGTERM. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /** First delay before restarting a worker that failed to start. */
  public Duration restartBackoffInitial() {
    return restartBackoffInitial;
  }

  /** Cap of the exponential restart back-off. */
  public Duration restartBackoffMax() {
    return restartBackoffMax;
  }

  /** Host tools registered globally when the pool starts (more can be added with {@link Snakepit#hostTools()}). */
  public List<HostTool> hostTools() {
    return hostTools;
  }

  /** How often every worker is pinged; a worker that misses two pings in a row is killed and replaced. */
  public Duration healthCheckInterval() {
    return healthCheckInterval;
  }

  /** How long a health ping may take. */
  public Duration healthCheckTimeout() {
    return healthCheckTimeout;
  }

  /** Calls after which a worker is recycled (0: never). */
  public long maxCallsPerWorker() {
    return maxCallsPerWorker;
  }

  /** Age after which a worker is recycled, with up to 10% random jitter (null: never). */
  public Duration maxWorkerAge() {
    return maxWorkerAge;
  }

  /** Resident memory (bytes) above which a worker is recycled (0: never). Measured from /proc on Linux. */
  public long maxWorkerMemory() {
    return maxWorkerMemory;
  }

  /** How long after a timed-out call a worker may still be busy with it before it is recycled. */
  public Duration stuckCallGrace() {
    return stuckCallGrace;
  }

  /** Consecutive failed worker starts that open the pool's breaker (calls then fail fast). */
  public int breakerThreshold() {
    return breakerThreshold;
  }

  /** Default affinity of session calls. */
  public Affinity sessionAffinity() {
    return sessionAffinity;
  }

  /** Idle time after which a session is removed. */
  public Duration sessionTtl() {
    return sessionTtl;
  }

  /** Most sessions alive at once. */
  public int maxSessions() {
    return maxSessions;
  }

  /** The listeners that hear the pool's events, in registration order. */
  public List<PoolEventListener> eventListeners() {
    return eventListeners;
  }

  /** The interceptors around every tool and host tool call, in registration order. */
  public List<CallInterceptor> callInterceptors() {
    return callInterceptors;
  }

  /** Whether workers' log records and output lines are forwarded to SLF4J. */
  public boolean forwardWorkerOutput() {
    return forwardWorkerOutput;
  }

  /**
   * The lowest Python log level forwarded at its own level; records below it are logged at DEBUG
   * (TRACE for Python DEBUG), and so are plain output lines unless this is INFO or lower.
   */
  public org.slf4j.event.Level workerLogLevel() {
    return workerLogLevel;
  }

  /**
   * The managed environment the workers run in, or null. When set, {@link Snakepit#start} prepares it
   * (creating it on first use) and runs the workers with its interpreter instead of {@link #python()}.
   */
  public PythonEnvironment pythonEnvironment() {
    return pythonEnvironment;
  }

  /** The remote (standalone) workers the pool uses instead of starting local ones, if configured. */
  public java.util.Optional<RemoteWorkers> remoteWorkers() {
    return java.util.Optional.ofNullable(remoteWorkers);
  }

  /** The directory that shares session bindings with other JVM replicas, if configured. */
  public java.util.Optional<SessionDirectory> sessionDirectory() {
    return java.util.Optional.ofNullable(sessionDirectory);
  }

  /** How workers are started: forked from a template or spawned (default {@link StartMode#AUTO}). */
  public StartMode startMode() {
    return startMode;
  }

  /** The transport as configured (default {@link Transport#AUTO}). */
  public Transport transport() {
    return transport;
  }

  /**
   * The transport the pool uses: {@link #transport()}, with {@link Transport#AUTO} resolved to the
   * lane for our own worker module and to gRPC for a worker script or another module.
   */
  public Transport effectiveTransport() {
    if (transport != Transport.AUTO) {
      return transport;
    }
    boolean ours = workerScript == null && DEFAULT_WORKER_MODULE.equals(workerModule) && remoteWorkers == null;
    return ours ? Transport.LANE : Transport.GRPC;
  }

  /** Extra modules the fork server's template imports before forking (shared by every forked worker). */
  public List<String> preloadModules() {
    return preloadModules;
  }

  /** How many workers start at once (at the pool's start and when replacing); later ones wait their turn. */
  public int startupConcurrency() {
    return startupConcurrency;
  }

  /** The worker's command line, without the per-worker arguments the pool adds. */
  public List<String> baseCommand() {
    var command = new ArrayList<String>();
    command.add(python.toString());
    if (workerScript != null) {
      command.add(workerScript.toString());
    } else {
      command.add("-m");
      command.add(workerModule);
    }
    command.add("--adapter");
    command.add(adapter);
    return command;
  }

  @Override
  public String toString() {
    return "SnakepitConfig{pool=" + poolName + ", python=" + python + ", entry="
        + (workerScript != null ? workerScript : "-m " + workerModule) + ", adapter=" + adapter + ", workers=" + workers
        + ", workerConcurrency=" + workerConcurrency + ", callTimeout=" + callTimeout + ", queueCapacity="
        + queueCapacity + ", maxMessageSize=" + maxMessageSize + "}";
  }

  /** Builds a {@link SnakepitConfig}; every setter validates its argument. */
  public static final class Builder {
    private String poolName = "snakepit";
    private Path python;
    private String workerModule = DEFAULT_WORKER_MODULE;
    private Path workerScript;
    private String adapter = SHOWCASE_ADAPTER;
    private final List<String> extraArguments = new ArrayList<>();
    private final List<Path> pythonPath = new ArrayList<>();
    private Path workingDirectory;
    private final Map<String, String> workerEnvironment = new LinkedHashMap<>();
    private boolean mallocTuning = true;
    private int workers = 2;
    private int workerConcurrency = 1;
    private Integer hotWorkers;
    private Duration spinWait = Duration.ofNanos(100_000);
    private Duration startupTimeout = Duration.ofSeconds(30);
    private Duration callTimeout = Duration.ofSeconds(30);
    private int queueCapacity = 1024;
    private Duration queueTimeout;
    private int maxMessageSize = 128 * 1024 * 1024;
    private Duration shutdownGrace = Duration.ofSeconds(5);
    private Duration restartBackoffInitial = Duration.ofMillis(100);
    private Duration restartBackoffMax = Duration.ofSeconds(10);
    private Duration healthCheckInterval = Duration.ofSeconds(5);
    private Duration healthCheckTimeout = Duration.ofSeconds(2);
    private long maxCallsPerWorker;
    private Duration maxWorkerAge;
    private long maxWorkerMemory;
    private Duration stuckCallGrace = Duration.ofSeconds(2);
    private int breakerThreshold = 3;
    private Affinity sessionAffinity = Affinity.HINT;
    private Duration sessionTtl = Duration.ofMinutes(30);
    private int maxSessions = 10_000;
    private final List<PoolEventListener> eventListeners = new ArrayList<>();
    private final List<CallInterceptor> callInterceptors = new ArrayList<>();
    private boolean forwardWorkerOutput = true;
    private org.slf4j.event.Level workerLogLevel = org.slf4j.event.Level.WARN;
    private RemoteWorkers remoteWorkers;
    private SessionDirectory sessionDirectory;
    private StartMode startMode = StartMode.AUTO;
    private Transport transport = Transport.AUTO;
    private final List<String> preloadModules = new ArrayList<>();
    private int startupConcurrency;
    private final Map<String, HostTool> hostTools = new LinkedHashMap<>();
    private PythonEnvironment pythonEnvironment;

    private Builder() {}

    /** Name used in thread names, worker ids and logs: letters, digits, {@code _ . -}, at most 40. */
    public Builder poolName(String name) {
      Objects.requireNonNull(name, "poolName");
      if (!POOL_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("poolName must be 1-40 letters, digits, '_', '.' or '-', was '" + name + "'");
      }
      this.poolName = name;
      return this;
    }

    /** The Python interpreter. Default: {@code SNAKEPIT_PYTHON}, else the repo's {@code .venv}, else {@code python3}. */
    public Builder python(Path python) {
      this.python = Objects.requireNonNull(python, "python");
      return this;
    }

    /** The module run with {@code -m}; default {@value #DEFAULT_WORKER_MODULE}. Clears any worker script. */
    public Builder workerModule(String module) {
      Objects.requireNonNull(module, "workerModule");
      if (!module.matches("[A-Za-z_][\\w]*(\\.[A-Za-z_][\\w]*)*")) {
        throw new IllegalArgumentException("workerModule must be a dotted Python module name, was '" + module + "'");
      }
      this.workerModule = module;
      this.workerScript = null;
      return this;
    }

    /** Runs this script instead of the worker module, e.g. a Snakepit {@code grpc_server.py}. */
    public Builder workerScript(Path script) {
      this.workerScript = Objects.requireNonNull(script, "workerScript");
      return this;
    }

    /** The adapter class as {@code module.Class}. */
    public Builder adapter(String adapter) {
      Objects.requireNonNull(adapter, "adapter");
      if (!ADAPTER_NAME.matcher(adapter).matches()) {
        throw new IllegalArgumentException(
            "adapter must be a dotted path 'module.Class' (e.g. 'my_pkg.adapters.MyAdapter'), was '" + adapter + "'");
      }
      this.adapter = adapter;
      return this;
    }

    /** Extra arguments appended to each worker's command line. */
    public Builder extraArguments(List<String> arguments) {
      Objects.requireNonNull(arguments, "extraArguments");
      arguments.forEach(a -> Objects.requireNonNull(a, "extraArguments element"));
      this.extraArguments.clear();
      this.extraArguments.addAll(arguments);
      return this;
    }

    /** Adds a directory to the workers' {@code PYTHONPATH}. */
    public Builder addPythonPath(Path directory) {
      this.pythonPath.add(Objects.requireNonNull(directory, "pythonPath").toAbsolutePath());
      return this;
    }

    /** The workers' working directory. */
    public Builder workingDirectory(Path directory) {
      Objects.requireNonNull(directory, "workingDirectory");
      if (!Files.isDirectory(directory)) {
        throw new IllegalArgumentException("workingDirectory must be an existing directory, was '" + directory + "'");
      }
      this.workingDirectory = directory;
      return this;
    }

    /** Sets one environment variable for the workers. */
    public Builder workerEnvironment(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (!ENV_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("environment variable name must match [A-Za-z_][A-Za-z0-9_]*, was '" + name + "'");
      }
      this.workerEnvironment.put(name, value);
      return this;
    }

    /** Sets environment variables for the workers. */
    public Builder workerEnvironment(Map<String, String> environment) {
      Objects.requireNonNull(environment, "workerEnvironment").forEach(this::workerEnvironment);
      return this;
    }

    /** Whether workers get the {@link SnakepitConfig#MALLOC_TUNING} malloc settings (default true). */
    public Builder mallocTuning(boolean enabled) {
      this.mallocTuning = enabled;
      return this;
    }

    /** Number of worker processes, 1 to 256. */
    public Builder workers(int workers) {
      if (workers < 1 || workers > 256) {
        throw new IllegalArgumentException("workers must be between 1 and 256, was " + workers);
      }
      this.workers = workers;
      return this;
    }

    /** Calls one worker runs at once, 1 to 1024 (default 1). */
    public Builder workerConcurrency(int concurrency) {
      if (concurrency < 1 || concurrency > 1024) {
        throw new IllegalArgumentException("workerConcurrency must be between 1 and 1024, was " + concurrency);
      }
      this.workerConcurrency = concurrency;
      return this;
    }

    /**
     * The fewest workers kept busy before a call waits for a hot worker instead of waking an idle
     * one; 0 never holds calls back (default: the available processors for local workers, 0 for
     * remote ones). With many more workers than cores, dozens of cold Python processes fighting for
     * a few cores serve fewer calls than a few hot ones. Above this floor the number of busy workers
     * adapts: it shrinks while more busy workers make calls slower (CPU-bound calls) and grows up to
     * the whole pool while they do not (calls that wait on I/O). Should the busy workers stop coming
     * free for 2 ms, waiting calls take idle workers. Applies with one call per worker
     * ({@link #workerConcurrency} 1) and to calls without a session.
     */
    public Builder hotWorkers(int floor) {
      if (floor < 0 || floor > 256) {
        throw new IllegalArgumentException("hotWorkers must be between 0 (never hold calls back) and 256, was " + floor);
      }
      this.hotWorkers = floor;
      return this;
    }

    /**
     * How long a thread blocked on a call polls the lane for the worker's answer, and an idle worker
     * polls for the host's next call, before blocking: 0 to 10 ms (default 100 us; 0 never polls).
     * Blocking hands the CPU back, and on virtual machines waking a halted CPU costs tens of
     * microseconds, more than a small call. The polling adapts: a lane whose answers take longer
     * than this stops polling (backing off, retrying now and then), and at most one thread fewer
     * than the cores polls at once in this JVM, so it never runs on one core; workers poll only in
     * pools with no more workers than cores. Lane transport only.
     */
    public Builder spinWait(Duration spin) {
      Objects.requireNonNull(spin, "spinWait");
      if (spin.isNegative() || spin.compareTo(Duration.ofMillis(10)) > 0) {
        throw new IllegalArgumentException("spinWait must be between 0 (never poll) and 10 ms, was " + spin);
      }
      this.spinWait = spin;
      return this;
    }

    /** Time a worker may take to become ready (default 30 s). */
    public Builder startupTimeout(Duration timeout) {
      this.startupTimeout = positive("startupTimeout", timeout);
      return this;
    }

    /** Default time budget of a call, queueing included (default 30 s). */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = positive("callTimeout", timeout);
      return this;
    }

    /** Calls that may wait when every worker is busy, 0 to 1,000,000 (default 1024). */
    public Builder queueCapacity(int capacity) {
      if (capacity < 0 || capacity > 1_000_000) {
        throw new IllegalArgumentException("queueCapacity must be between 0 and 1000000, was " + capacity);
      }
      this.queueCapacity = capacity;
      return this;
    }

    /** Longest wait for a free worker (default: the call timeout). */
    public Builder queueTimeout(Duration timeout) {
      this.queueTimeout = positive("queueTimeout", timeout);
      return this;
    }

    /** Largest message in bytes, 1 MiB to 2 GiB - 1 (default 128 MiB). */
    public Builder maxMessageSize(int bytes) {
      if (bytes < 1024 * 1024) {
        throw new IllegalArgumentException("maxMessageSize must be at least 1048576 (1 MiB), was " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /** Grace period for in-flight calls on close and for workers after SIGTERM (default 5 s). */
    public Builder shutdownGrace(Duration grace) {
      Objects.requireNonNull(grace, "shutdownGrace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must not be negative, was " + grace);
      }
      this.shutdownGrace = grace;
      return this;
    }

    /** Restart back-off: first delay and cap (defaults 100 ms and 10 s). */
    public Builder restartBackoff(Duration initial, Duration max) {
      this.restartBackoffInitial = positive("restartBackoff initial", initial);
      this.restartBackoffMax = positive("restartBackoff max", max);
      return this;
    }

    /**
     * Registers a global host tool, callable from Python once the pool starts.
     *
     * @throws DuplicateHostToolException when a tool of that name was already added
     */
    public Builder hostTool(HostTool tool) {
      Objects.requireNonNull(tool, "hostTool");
      if (hostTools.putIfAbsent(tool.name(), tool) != null) {
        throw new DuplicateHostToolException(tool.name(), null, null);
      }
      return this;
    }

    /** Health check: ping period and ping timeout (defaults 5 s and 2 s). */
    public Builder healthCheck(Duration interval, Duration timeout) {
      this.healthCheckInterval = positive("healthCheck interval", interval);
      this.healthCheckTimeout = positive("healthCheck timeout", timeout);
      return this;
    }

    /** Recycles a worker after this many calls (0, the default: never). */
    public Builder maxCallsPerWorker(long calls) {
      if (calls < 0) {
        throw new IllegalArgumentException("maxCallsPerWorker must not be negative (0 means never), was " + calls);
      }
      this.maxCallsPerWorker = calls;
      return this;
    }

    /** Recycles a worker after this age, plus up to 10% jitter so workers do not retire together. */
    public Builder maxWorkerAge(Duration age) {
      this.maxWorkerAge = positive("maxWorkerAge", age);
      return this;
    }

    /** Recycles a worker whose resident memory exceeds this many bytes (0, the default: never). */
    public Builder maxWorkerMemory(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxWorkerMemory must not be negative (0 means never), was " + bytes);
      }
      this.maxWorkerMemory = bytes;
      return this;
    }

    /** Grace for a worker to finish a timed-out call before it is recycled (default 2 s). */
    public Builder stuckCallGrace(Duration grace) {
      this.stuckCallGrace = positive("stuckCallGrace", grace);
      return this;
    }

    /** Consecutive failed worker starts that open the breaker, 1 to 100 (default 3). */
    public Builder breakerThreshold(int failures) {
      if (failures < 1 || failures > 100) {
        throw new IllegalArgumentException("breakerThreshold must be between 1 and 100, was " + failures);
      }
      this.breakerThreshold = failures;
      return this;
    }

    /** Default affinity of session calls (default {@link Affinity#HINT}). */
    public Builder sessionAffinity(Affinity affinity) {
      this.sessionAffinity = Objects.requireNonNull(affinity, "sessionAffinity");
      return this;
    }

    /** Idle time after which a session is removed (default 30 minutes). */
    public Builder sessionTtl(Duration ttl) {
      this.sessionTtl = positive("sessionTtl", ttl);
      return this;
    }

    /** Most sessions alive at once, 1 to 10,000,000 (default 10,000). */
    public Builder maxSessions(int sessions) {
      if (sessions < 1 || sessions > 10_000_000) {
        throw new IllegalArgumentException("maxSessions must be between 1 and 10000000, was " + sessions);
      }
      this.maxSessions = sessions;
      return this;
    }

    /** Adds a listener for the pool's events (it must be fast and never throw). */
    public Builder eventListener(PoolEventListener listener) {
      this.eventListeners.add(Objects.requireNonNull(listener, "eventListener"));
      return this;
    }

    /** Adds an interceptor around every tool and host tool call (e.g. tracing from snakepit-otel). */
    public Builder callInterceptor(CallInterceptor interceptor) {
      this.callInterceptors.add(Objects.requireNonNull(interceptor, "callInterceptor"));
      return this;
    }

    /**
     * Whether Python log records and worker output lines go to SLF4J (default true): records to
     * logger {@code python.<logger name>}, other lines to {@code dev.snakepit.worker.stdout|stderr},
     * with the worker id in the MDC ({@code snakepit.worker_id}). The stderr tail shown in error
     * messages is kept either way.
     */
    public Builder forwardWorkerOutput(boolean forward) {
      this.forwardWorkerOutput = forward;
      return this;
    }

    /**
     * The lowest Python log level forwarded at its own level (default WARN: warnings and errors as
     * such, INFO chatter at DEBUG). INFO shows Python INFO records (and output lines) at INFO.
     */
    public Builder workerLogLevel(org.slf4j.event.Level level) {
      this.workerLogLevel = Objects.requireNonNull(level, "workerLogLevel");
      return this;
    }

    /**
     * Runs the workers in this managed environment (created on first use, then reused): its
     * interpreter replaces {@link #python(Path)}, and its requirements are installed in it.
     */
    public Builder pythonEnvironment(PythonEnvironment environment) {
      this.pythonEnvironment = Objects.requireNonNull(environment, "pythonEnvironment");
      return this;
    }

    /**
     * Uses remote workers (standalone workers started with {@code python -m snakepit_bridge.server
     * --listen ...}, for example pods behind a headless Kubernetes Service) instead of starting local
     * ones: {@link #workers(int)} worker slots are spread over the live remote workers. The Python
     * settings (interpreter, adapter, paths, environment) are then the workers' own business.
     * See docs/remote.md.
     */
    public Builder remoteWorkers(RemoteWorkers remote) {
      this.remoteWorkers = Objects.requireNonNull(remote, "remoteWorkers");
      return this;
    }

    /**
     * Shares session bindings with the other JVM replicas that use the same {@link #remoteWorkers}
     * (default none: each pool routes its sessions on its own): a session's calls then reach the
     * worker its first call was bound to, through whichever replica they come. Consulted only for
     * session calls on remote workers; the pool does not close it. See docs/remote.md.
     */
    public Builder sessionDirectory(SessionDirectory directory) {
      this.sessionDirectory = Objects.requireNonNull(directory, "sessionDirectory");
      return this;
    }

    /**
     * How workers start (default {@link StartMode#AUTO}: forked from a template process on Linux
     * when that is safe, else spawned). Workers given as a {@link #workerScript} script are always
     * spawned.
     */
    public Builder startMode(StartMode mode) {
      this.startMode = Objects.requireNonNull(mode, "startMode");
      return this;
    }

    /**
     * How the pool talks to its workers (default {@link Transport#AUTO}: the lane, a framed Unix
     * socket, for our own worker; gRPC for a {@link #workerScript} written for Snakepit).
     */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * Modules the fork server's template imports once, besides the adapter's own module (for
     * example a library the adapter imports lazily). Ignored when workers are spawned.
     */
    public Builder preloadModules(String... modules) {
      for (var module : modules) {
        if (module == null || !MODULE_NAME.matcher(module).matches()) {
          throw new IllegalArgumentException("preloadModules: not a Python module name: '" + module + "'");
        }
        preloadModules.add(module);
      }
      return this;
    }

    /**
     * How many workers start at once, 1 to 256 (default: two per core, at least 4). Bounding it
     * keeps a large pool from starting every interpreter at once on a small machine, where each
     * start would then take so long that start-up budgets run out.
     */
    public Builder startupConcurrency(int concurrency) {
      if (concurrency < 1 || concurrency > 256) {
        throw new IllegalArgumentException("startupConcurrency must be between 1 and 256, was " + concurrency);
      }
      this.startupConcurrency = concurrency;
      return this;
    }

    /** Validates cross-field rules and builds the config. */
    public SnakepitConfig build() {
      if (queueTimeout != null && queueTimeout.compareTo(callTimeout) > 0) {
        throw new IllegalArgumentException(
            "queueTimeout (" + queueTimeout + ") must not exceed callTimeout (" + callTimeout + ")");
      }
      if (restartBackoffInitial.compareTo(restartBackoffMax) > 0) {
        throw new IllegalArgumentException("restartBackoff initial (" + restartBackoffInitial
            + ") must not exceed its max (" + restartBackoffMax + ")");
      }
      if (healthCheckTimeout.compareTo(healthCheckInterval) > 0) {
        throw new IllegalArgumentException("healthCheck timeout (" + healthCheckTimeout
            + ") must not exceed its interval (" + healthCheckInterval + ")");
      }
      if (workerScript != null && !Files.isRegularFile(workerScript)) {
        throw new IllegalArgumentException("workerScript must be an existing file, was '" + workerScript + "'");
      }
      if (transport == Transport.LANE && workerScript != null) {
        throw new IllegalArgumentException("transport LANE needs our worker (snakepit_bridge), but workerScript is '"
            + workerScript + "': a Snakepit grpc_server.py speaks gRPC only. Use transport GRPC or AUTO.");
      }
      return new SnakepitConfig(this);
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
