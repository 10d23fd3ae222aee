package dev.snakepit.internal.python;

import dev.snakepit.PythonEnvironment;
import dev.snakepit.StartupFailedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates one {@link PythonEnvironment} in its directory: under the environment's lock, a venv, then
 * one install of the bundled wheel plus the requirements, then the ready marker, renamed into place
 * last. A directory without the marker is a leftover of a crashed build and is rebuilt.
 */
public final class EnvironmentBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(PythonEnvironment.class);
  private static final String READY = ".snakepit-ready";
  private static final String WORKER_ID = "python-environment";

  private final PythonEnvironment spec;
  private final Path directory;
  private final BundledBridge bridge;
  private final Path cacheRoot;

  /** A builder of {@code spec} in {@code directory}. */
  public EnvironmentBuilder(PythonEnvironment spec, Path directory, BundledBridge bridge, Path cacheRoot) {
    this.spec = spec;
    this.directory = directory;
    this.bridge = bridge;
    this.cacheRoot = cacheRoot;
  }

  /** The directory of the environment {@code spec} describes (it may not exist yet). */
  public static Path directory(PythonEnvironment spec) {
    return spec.cacheDirectory().resolve(key(spec));
  }

  /** Creates the environment {@code spec} describes unless it exists; returns its interpreter. */
  public static Path prepare(PythonEnvironment spec) {
    var bridge = BundledBridge.get();
    if (bridge == null) {
      throw new StartupFailedException(WORKER_ID,
          "the snakepit-python jar (the bundled snakepit_bridge wheel) is not on the class path; add dev.snakepit:snakepit-python",
          null, "", null);
    }
    return new EnvironmentBuilder(spec, directory(spec), bridge, CacheDirectory.root()).prepare();
  }

  private static String key(PythonEnvironment spec) {
    InterpreterProbe probe;
    try {
      probe = InterpreterProbe.of(spec.baseInterpreter());
    } catch (IOException e) {
      throw new StartupFailedException(WORKER_ID, "the base interpreter " + spec.baseInterpreter()
          + " cannot be run (" + e.getMessage() + "); install Python 3.10+ or set it with baseInterpreter(...)",
          null, "", e);
    }
    var bridge = BundledBridge.get();
    var text = new StringBuilder()
        .append("interpreter=").append(probe.executable()).append('\n')
        .append("version=").append(probe.version()).append('\n')
        .append("platform=").append(probe.platform()).append('\n')
        .append("bridge=").append(bridge == null ? "none" : bridge.version()).append('\n');
    spec.requirements().forEach(r -> text.append("requirement=").append(r).append('\n'));
    if (spec.requirementsFile() != null) {
      try {
        text.append("file=").append(Files.readString(spec.requirementsFile(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the requirements file " + spec.requirementsFile(), e);
      }
    }
    try {
      var digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return "py" + probe.version().replace('.', '_') + "-" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Whether {@code directory} holds a complete environment. */
  public static boolean isReady(Path directory) {
    return Files.isRegularFile(directory.resolve(READY));
  }

  /** The interpreter inside an environment directory. */
  public static Path interpreter(Path directory) {
    return isWindows() ? directory.resolve("Scripts").resolve("python.exe") : directory.resolve("bin").resolve("python");
  }

  /** Creates the environment unless it is ready; returns its interpreter. */
  public Path prepare() {
    if (isReady(directory) && isCurrent()) {
      LOG.info("Python environment {}: reusing {}", directory.getFileName(), directory);
      return interpreter(directory);
    }
    long started = System.nanoTime();
    try (var lock = lock()) {
      if (isReady(directory)) {
        if (!isCurrent()) {
          refreshBridge();
        }
        LOG.info("Python environment {}: reusing {}", directory.getFileName(), directory);
        return interpreter(directory);
      }
      if (Files.exists(directory)) {
        LOG.info("Python environment {}: removing an incomplete build", directory.getFileName());
        BundledBridge.deleteTree(directory);
      }
      var uv = uv();
      try {
        createVenv(uv);
        install(uv);
        markReady();
      } catch (RuntimeException | IOException e) {
        BundledBridge.deleteTree(directory);
        throw e;
      }
      LOG.info("Python environment {}: ready at {} ({} ms in all)", directory.getFileName(), directory,
          (System.nanoTime() - started) / 1_000_000);
      return interpreter(directory);
    } catch (IOException e) {
      throw new StartupFailedException(WORKER_ID, "cannot create the Python environment in " + directory + ": " + e.getMessage()
          + " (check that the cache directory is writable, or set another one)", null, "", e);
    }
  }

  /** Whether the environment holds this very wheel (its content can change within a development version). */
  private boolean isCurrent() {
    try {
      return Files.readString(directory.resolve(READY), StandardCharsets.UTF_8).contains("bridge=" + bridge.id() + "\n");
    } catch (IOException e) {
      return false;
    }
  }

  /** Reinstalls only the bundled wheel (same version, new content), then renames a new marker into place. */
  private void refreshBridge() throws IOException {
    var uv = uv();
    var python = interpreter(directory).toString();
    var command = new ArrayList<String>();
    if (uv != null) {
      command.addAll(List.of(uv.toString(), "pip", "install", "--python", python, "--reinstall-package", "snakepit-bridge"));
    } else {
      command.addAll(List.of(python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--force-reinstall"));
    }
    command.addAll(List.of("--no-deps", bridge.wheelFile(cacheRoot).toString()));
    step("replaced snakepit-bridge " + bridge.version() + " with the bundled build " + bridge.id(), command);
    markReady();
  }

  private DirectoryLock lock() throws IOException {
    return DirectoryLock.acquire(directory.resolveSibling(directory.getFileName() + ".lock"));
  }

  private Path uv() {
    return switch (spec.installer()) {
      case PIP -> null;
      case AUTO -> InterpreterProbe.findOnPath("uv").orElse(null);
      case UV -> InterpreterProbe.findOnPath("uv").orElseThrow(() -> new StartupFailedException(WORKER_ID,
          "installer UV was chosen but 'uv' is not on PATH; install uv or choose Installer.AUTO or PIP", null, "", null));
    };
  }

  private void createVenv(Path uv) throws IOException {
    var base = InterpreterProbe.resolve(spec.baseInterpreter()).toString();
    var command = uv != null
        ? List.of(uv.toString(), "venv", "--quiet", "--python", base, directory.toString())
        : List.of(base, "-m", "venv", directory.toString());
    step("created the venv with " + (uv != null ? "uv" : base + " -m venv"), command);
  }

  private void install(Path uv) throws IOException {
    var python = interpreter(directory).toString();
    var command = new ArrayList<String>();
    if (uv != null) {
      command.addAll(List.of(uv.toString(), "pip", "install", "--python", python));
    } else {
      command.addAll(List.of(python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"));
    }
    if (spec.offlineWheels() != null) {
      command.addAll(List.of("--no-index", "--find-links", spec.offlineWheels().toString()));
    }
    command.add(bridge.wheelFile(cacheRoot).toString());
    if (spec.requirementsFile() != null) {
      command.addAll(List.of("-r", spec.requirementsFile().toString()));
    }
    command.addAll(spec.requirements());
    int count = spec.requirements().size() + (spec.requirementsFile() != null ? 1 : 0);
    step("installed snakepit-bridge " + bridge.version()
        + (count == 0 ? "" : " and " + describeRequirements()) + " with " + (uv != null ? "uv" : "pip")
        + (spec.offlineWheels() != null ? " (offline, from " + spec.offlineWheels() + ")" : ""), command);
  }

  private String describeRequirements() {
    var parts = new ArrayList<>(spec.requirements());
    if (spec.requirementsFile() != null) {
      parts.add("-r " + spec.requirementsFile().getFileName());
    }
    return String.join(", ", parts);
  }

  private void step(String done, List<String> command) throws IOException {
    long started = System.nanoTime();
    var run = ProcessRun.run(command, Map.of("PIP_DISABLE_PIP_VERSION_CHECK", "1", "PIP_NO_INPUT", "1"),
        spec.installTimeout(), LOG);
    long millis = (System.nanoTime() - started) / 1_000_000;
    if (run.exitCode() != 0) {
      throw new StartupFailedException(WORKER_ID, "the Python environment " + directory.getFileName()
          + " could not be built: '" + String.join(" ", command.subList(0, Math.min(4, command.size())))
          + " ...' " + (run.exitCode() < 0 ? "ran out of its " + spec.installTimeout().toSeconds() + " s"
          : "exited with code " + run.exitCode()) + " after " + millis
          + " ms; check the requirements (and, offline, that the wheel directory has every package)",
          run.exitCode(), run.tail(), null);
    }
    LOG.info("Python environment {}: {} in {} ms", directory.getFileName(), done, millis);
  }

  private void markReady() throws IOException {
    var marker = directory.resolve(READY);
    var temporary = directory.resolve(READY + ".tmp");
    var text = "bridge=" + bridge.id() + "\nbase=" + spec.baseInterpreter() + "\nrequirements=" + spec.requirements()
        + "\nrequirementsFile=" + spec.requirementsFile() + "\n";
    Files.writeString(temporary, text, StandardCharsets.UTF_8);
    Files.move(temporary, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static boolean isWindows() {
    return System.getProperty("os.name", "").startsWith("Windows");
  }
}
