package dev.snakepit.internal.python;

import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartupFailedException;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves a config's Python side before its pool starts: prepares its managed environment (if any)
 * and, when the interpreter does not have this version of {@code snakepit-bridge} installed, puts
 * the bundled copy on the workers' PYTHONPATH (after the user's own directories).
 */
public final class PythonSetup {
  private static final Logger LOG = LoggerFactory.getLogger(PythonSetup.class);

  private PythonSetup() {}

  /** The config to start the pool with (the same one when nothing needs to change). */
  public static SnakepitConfig prepare(SnakepitConfig config) {
    if (config.remoteWorkers().isPresent()) {
      return config; // remote workers bring their own Python
    }
    var environment = config.pythonEnvironment();
    Path python = environment != null ? environment.prepare() : config.python();
    var bridgePath = bridgePath(config, python);
    if (environment == null && bridgePath == null) {
      return config;
    }
    var builder = config.toBuilder().python(python);
    if (bridgePath != null) {
      builder.addPythonPath(bridgePath);
    }
    return builder.build();
  }

  private static Path bridgePath(SnakepitConfig config, Path python) {
    var bridge = BundledBridge.get();
    if (bridge == null || config.workerScript() != null || !config.workerModule().startsWith("snakepit_bridge")
        || Boolean.getBoolean("snakepit.bundledBridge.disabled")) {
      return null;
    }
    InterpreterProbe probe;
    try {
      probe = InterpreterProbe.of(python);
    } catch (IOException e) {
      // The pool's own start reports an interpreter that cannot run, with its output.
      LOG.debug("cannot probe {}: {}", python, e.getMessage());
      return null;
    }
    if (bridge.version().equals(probe.bridgeVersion())) {
      return null;
    }
    try {
      var directory = bridge.unpacked(CacheDirectory.root());
      LOG.debug("{} has snakepit-bridge {}; workers use the bundled {} from {}", python,
          probe.bridgeVersion() == null ? "not installed" : probe.bridgeVersion(), bridge.version(), directory);
      return directory;
    } catch (IOException e) {
      throw new StartupFailedException(config.poolName(), "cannot unpack the bundled snakepit_bridge package into "
          + CacheDirectory.root() + ": " + e.getMessage() + " (set -Dsnakepit.cacheDir or SNAKEPIT_CACHE_DIR to a writable directory)",
          null, "", e);
    }
  }
}
