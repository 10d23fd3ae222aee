package dev.snakepit.spring.boot;

import dev.snakepit.PythonEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings of one pool. Unset values (null) fall back, for a named pool, to the value under
 * {@code snakepit.*}, then to the {@link dev.snakepit.SnakepitConfig} default.
 */
public class SnakepitPoolProperties {
  /** Adapter class the workers serve, as module.Class (default: the showcase adapter). */
  private String adapter;
  /** Number of worker processes (default 2). */
  private Integer workers;
  /** Calls one worker runs at once (default 1). */
  private Integer workerConcurrency;
  /** How long a worker may take to start (default 30s). */
  private Duration startupTimeout;
  /** Default time budget of a call, queueing included (default 30s). */
  private Duration callTimeout;
  /** Calls that may wait when every worker is busy (default 1024). */
  private Integer queueCapacity;
  /** Grace period for in-flight calls on close and for workers after SIGTERM (default 5s). */
  private Duration shutdownGrace;
  /** Calls after which a worker is recycled (default 0: never). */
  private Long maxCallsPerWorker;
  /** Age after which a worker is recycled (default: never). */
  private Duration maxWorkerAge;
  /** Extra environment variables for the workers. */
  private Map<String, String> workerEnvironment = new LinkedHashMap<>();
  /** The Python side: interpreter, PYTHONPATH, managed environment. */
  private final Python python = new Python();

  public String getAdapter() {
    return adapter;
  }

  public void setAdapter(String adapter) {
    this.adapter = adapter;
  }

  public Integer getWorkers() {
    return workers;
  }

  public void setWorkers(Integer workers) {
    this.workers = workers;
  }

  public Integer getWorkerConcurrency() {
    return workerConcurrency;
  }

  public void setWorkerConcurrency(Integer workerConcurrency) {
    this.workerConcurrency = workerConcurrency;
  }

  public Duration getStartupTimeout() {
    return startupTimeout;
  }

  public void setStartupTimeout(Duration startupTimeout) {
    this.startupTimeout = startupTimeout;
  }

  public Duration getCallTimeout() {
    return callTimeout;
  }

  public void setCallTimeout(Duration callTimeout) {
    this.callTimeout = callTimeout;
  }

  public Integer getQueueCapacity() {
    return queueCapacity;
  }

  public void setQueueCapacity(Integer queueCapacity) {
    this.queueCapacity = queueCapacity;
  }

  public Duration getShutdownGrace() {
    return shutdownGrace;
  }

  public void setShutdownGrace(Duration shutdownGrace) {
    this.shutdownGrace = shutdownGrace;
  }

  public Long getMaxCallsPerWorker() {
    return maxCallsPerWorker;
  }

  public void setMaxCallsPerWorker(Long maxCallsPerWorker) {
    this.maxCallsPerWorker = maxCallsPerWorker;
  }

  public Duration getMaxWorkerAge() {
    return maxWorkerAge;
  }

  public void setMaxWorkerAge(Duration maxWorkerAge) {
    this.maxWorkerAge = maxWorkerAge;
  }

  public Map<String, String> getWorkerEnvironment() {
    return workerEnvironment;
  }

  public void setWorkerEnvironment(Map<String, String> workerEnvironment) {
    this.workerEnvironment = workerEnvironment;
  }

  public Python getPython() {
    return python;
  }

  /** The Python side of a pool. */
  public static class Python {
    /**
     * The interpreter that runs the workers, or the base of the managed environment when
     * requirements are set (default: $SNAKEPIT_PYTHON, else python3).
     */
    private Path interpreter;
    /** Directories added to the workers' PYTHONPATH (your adapter's sources). */
    private List<Path> path = new ArrayList<>();
    /**
     * Requirements (pip syntax) of a managed environment: when set, or when requirements-file is,
     * the workers run in a virtual environment created once under the cache directory.
     */
    private List<String> requirements = new ArrayList<>();
    /** A pip requirements file for the managed environment. */
    private Path requirementsFile;
    /** Where managed environments live (default ~/.cache/snakepit/envs). */
    private Path cacheDirectory;
    /** Offline mode: install only from this directory of wheels, never from a package index. */
    private Path offlineWheels;
    /** The installer of the managed environment (default AUTO: uv when on PATH, else venv + pip). */
    private PythonEnvironment.Installer installer;

    public Path getInterpreter() {
      return interpreter;
    }

    public void setInterpreter(Path interpreter) {
      this.interpreter = interpreter;
    }

    public List<Path> getPath() {
      return path;
    }

    public void setPath(List<Path> path) {
      this.path = path;
    }

    public List<String> getRequirements() {
      return requirements;
    }

    public void setRequirements(List<String> requirements) {
      this.requirements = requirements;
    }

    public Path getRequirementsFile() {
      return requirementsFile;
    }

    public void setRequirementsFile(Path requirementsFile) {
      this.requirementsFile = requirementsFile;
    }

    public Path getCacheDirectory() {
      return cacheDirectory;
    }

    public void setCacheDirectory(Path cacheDirectory) {
      this.cacheDirectory = cacheDirectory;
    }

    public Path getOfflineWheels() {
      return offlineWheels;
    }

    public void setOfflineWheels(Path offlineWheels) {
      this.offlineWheels = offlineWheels;
    }

    public PythonEnvironment.Installer getInstaller() {
      return installer;
    }

    public void setInstaller(PythonEnvironment.Installer installer) {
      this.installer = installer;
    }
  }
}
