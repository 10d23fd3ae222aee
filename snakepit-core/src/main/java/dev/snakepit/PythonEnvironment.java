package dev.snakepit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A managed Python virtual environment for the workers: created once from a list of requirements
 * and/or a requirements file, then reused by every pool and JVM that asks for the same one.
 *
 * <pre>{@code
 * var env = PythonEnvironment.builder().requirements("scikit-learn==1.7.2").build();
 * try (var pit = Snakepit.start(SnakepitConfig.builder().pythonEnvironment(env).adapter("my_pkg.Model").build())) {
 *   ...
 * }
 * }</pre>
 *
 * <p>The environment lives under {@code <cache>/<key>} (default cache {@code ~/.cache/snakepit/envs};
 * see {@link Builder#cacheDirectory(Path)}), where the key hashes the base interpreter (its path,
 * version and platform), the requirements, the requirements file's content and the version of the
 * bundled {@code snakepit-bridge} wheel, which is installed into it too (with grpcio and protobuf); when
 * the wheel's content changes within a version (development builds), only the wheel is reinstalled.
 * It is built
 * with {@code uv} when {@code uv} is on PATH, else with {@code python -m venv} and pip. A file lock
 * serializes builders across JVMs, and the environment only counts as ready once its marker file
 * has been renamed into place (atomically, as the last step), so nobody ever uses a half-built one;
 * an environment left half-built by a crash is deleted and rebuilt. Each step logs one line with
 * its duration (logger {@code dev.snakepit.PythonEnvironment}).
 *
 * <p>Instances are immutable and thread-safe; {@link #prepare()} is idempotent and cheap once the
 * environment exists.
 */
public final class PythonEnvironment {
  /** The tool that creates the environment and installs into it. */
  public enum Installer {
    /** {@code uv} when it is on PATH, else {@code python -m venv} and pip. */
    AUTO,
    /** {@code uv venv} and {@code uv pip install}; fails when {@code uv} is not on PATH. */
    UV,
    /** {@code python -m venv} and {@code python -m pip install}. */
    PIP
  }

  private final List<String> requirements;
  private final Path requirementsFile;
  private final Path baseInterpreter;
  private final Path cacheDirectory;
  private final Path offlineWheels;
  private final Installer installer;
  private final Duration installTimeout;

  private PythonEnvironment(Builder b) {
    this.requirements = List.copyOf(b.requirements);
    this.requirementsFile = b.requirementsFile;
    this.baseInterpreter = b.baseInterpreter != null ? b.baseInterpreter : defaultBaseInterpreter();
    this.cacheDirectory = b.cacheDirectory != null ? b.cacheDirectory : Snakepit.defaultEnvironmentCache();
    this.offlineWheels = b.offlineWheels;
    this.installer = b.installer;
    this.installTimeout = b.installTimeout;
  }

  /** A builder: no requirements, {@code python3} as the base, the default cache, {@link Installer#AUTO}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Requirement specifiers installed into the environment, e.g. {@code numpy>=2}. */
  public List<String> requirements() {
    return requirements;
  }

  /** A pip requirements file installed into the environment, or null. */
  public Path requirementsFile() {
    return requirementsFile;
  }

  /** The interpreter the environment is created from. */
  public Path baseInterpreter() {
    return baseInterpreter;
  }

  /** The directory that holds the environments (one sub-directory each). */
  public Path cacheDirectory() {
    return cacheDirectory;
  }

  /** The local wheel directory used instead of a package index (offline mode), or null. */
  public Path offlineWheels() {
    return offlineWheels;
  }

  /** The installer chosen. */
  public Installer installer() {
    return installer;
  }

  /** The longest time one install step may take. */
  public Duration installTimeout() {
    return installTimeout;
  }

  /**
   * The environment's directory (it may not exist yet). Runs the base interpreter once to learn its
   * version.
   *
   * @throws StartupFailedException when the base interpreter cannot be run
   */
  public Path directory() {
    return Snakepit.environmentDirectory(this);
  }

  /** Whether the environment exists and is complete. */
  public boolean isReady() {
    return Snakepit.environmentReady(this);
  }

  /**
   * Creates the environment unless it exists, then returns its Python interpreter.
   *
   * @throws StartupFailedException when the environment cannot be created or an install fails; the
   *     exception carries the last lines of the installer's output
   */
  public Path prepare() {
    return Snakepit.prepareEnvironment(this);
  }

  /**
   * The config as {@link Snakepit#start} runs it: its managed environment prepared (created on first
   * use) and its interpreter in {@link SnakepitConfig#python()}, and the {@code snakepit_bridge}
   * bundled in the jar on {@link SnakepitConfig#pythonPath()} when the interpreter lacks this version.
   * For tools that inspect the setup, such as {@code snakepit doctor}.
   *
   * @throws StartupFailedException when the environment cannot be built
   */
  public static SnakepitConfig resolve(SnakepitConfig config) {
    return Snakepit.resolvePython(config);
  }

  private static Path defaultBaseInterpreter() {
    var fromEnv = System.getenv("SNAKEPIT_PYTHON");
    return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : Path.of("python3");
  }

  @Override
  public String toString() {
    return "PythonEnvironment{requirements=" + requirements + ", requirementsFile=" + requirementsFile
        + ", base=" + baseInterpreter + ", cache=" + cacheDirectory + ", installer=" + installer
        + (offlineWheels != null ? ", offline=" + offlineWheels : "") + "}";
  }

  /** Builds a {@link PythonEnvironment}; every setter validates its argument. */
  public static final class Builder {
    private final List<String> requirements = new ArrayList<>();
    private Path requirementsFile;
    private Path baseInterpreter;
    private Path cacheDirectory;
    private Path offlineWheels;
    private Installer installer = Installer.AUTO;
    private Duration installTimeout = Duration.ofMinutes(10);

    private Builder() {}

    /** Adds requirement specifiers (pip syntax, e.g. {@code scikit-learn==1.7.2}). */
    public Builder requirements(String... specifiers) {
      return requirements(List.of(specifiers));
    }

    /** Adds requirement specifiers (pip syntax). */
    public Builder requirements(List<String> specifiers) {
      Objects.requireNonNull(specifiers, "requirements");
      for (var specifier : specifiers) {
        Objects.requireNonNull(specifier, "requirement");
        var trimmed = specifier.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("-")) {
          throw new IllegalArgumentException(
              "a requirement must be a package specifier such as 'numpy>=2' (no options), was '" + specifier + "'");
        }
        requirements.add(trimmed);
      }
      return this;
    }

    /** A pip requirements file, installed with {@code -r}. */
    public Builder requirementsFile(Path file) {
      Objects.requireNonNull(file, "requirementsFile");
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("requirementsFile must be an existing file, was '" + file + "'");
      }
      this.requirementsFile = file.toAbsolutePath();
      return this;
    }

    /** The interpreter to create the environment from (default {@code $SNAKEPIT_PYTHON}, else {@code python3}). */
    public Builder baseInterpreter(Path python) {
      this.baseInterpreter = Objects.requireNonNull(python, "baseInterpreter");
      return this;
    }

    /** Where environments live (default {@code ~/.cache/snakepit/envs}, or {@code $SNAKEPIT_CACHE_DIR/envs}). */
    public Builder cacheDirectory(Path directory) {
      this.cacheDirectory = Objects.requireNonNull(directory, "cacheDirectory").toAbsolutePath();
      return this;
    }

    /**
     * Offline mode: install only from this directory of wheels ({@code --no-index --find-links}),
     * never from a package index.
     */
    public Builder offlineWheels(Path directory) {
      Objects.requireNonNull(directory, "offlineWheels");
      if (!Files.isDirectory(directory)) {
        throw new IllegalArgumentException("offlineWheels must be an existing directory of wheels, was '" + directory + "'");
      }
      this.offlineWheels = directory.toAbsolutePath();
      return this;
    }

    /** The installer (default {@link Installer#AUTO}). */
    public Builder installer(Installer installer) {
      this.installer = Objects.requireNonNull(installer, "installer");
      return this;
    }

    /** The longest time one step (creating the venv, installing) may take (default 10 minutes). */
    public Builder installTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "installTimeout");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("installTimeout must be positive, was " + timeout);
      }
      this.installTimeout = timeout;
      return this;
    }

    /** Builds the environment description (nothing is created until {@link PythonEnvironment#prepare()}). */
    public PythonEnvironment build() {
      return new PythonEnvironment(this);
    }
  }
}
