package dev.snakepit.cli;

import dev.snakepit.SnakepitConfig;
import dev.snakepit.codegen.Manifest;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Asks Python about an adapter without starting a pool: its manifest
 * ({@code python -m snakepit_bridge.tooling.manifest}) and the file of its module. Uses the
 * interpreter, {@code PYTHONPATH} entries and worker environment of a pool config.
 */
final class AdapterIntrospection {
  /** The adapter could not be described; the message carries Python's complaint. */
  static final class IntrospectionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    IntrospectionException(String message) {
      super(message);
    }
  }

  private AdapterIntrospection() {}

  /** The manifest JSON text of the config's adapter. */
  static String manifestJson(SnakepitConfig config) {
    return python(config, List.of("-m", "snakepit_bridge.tooling.manifest", "--adapter", config.adapter()),
        "describe adapter " + config.adapter());
  }

  /** The parsed manifest of the config's adapter. */
  static Manifest manifest(SnakepitConfig config) {
    return Manifest.parse(manifestJson(config), "the manifest of " + config.adapter());
  }

  /** The file of the adapter's module ({@code .../my_pkg/adapters.py}). */
  static Path moduleFile(SnakepitConfig config) {
    var module = config.adapter().substring(0, Math.max(0, config.adapter().lastIndexOf('.')));
    var out = python(config, List.of("-c",
        "import importlib.util, sys; spec = importlib.util.find_spec(sys.argv[1]); print(spec.origin if spec else '')",
        module), "find module " + module);
    var origin = out.strip();
    if (origin.isEmpty() || !origin.endsWith(".py")) {
      throw new IntrospectionException("cannot find the source file of module '" + module + "' (add its directory with --pythonpath)");
    }
    return Path.of(origin);
  }

  private static String python(SnakepitConfig config, List<String> args, String what) {
    var command = new ArrayList<String>();
    command.add(config.python().toString());
    command.addAll(args);
    var builder = new ProcessBuilder(command);
    builder.environment().putAll(config.workerEnvironment());
    if (!config.pythonPath().isEmpty()) {
      var path = config.pythonPath().stream().map(p -> p.toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
      var inherited = System.getenv("PYTHONPATH");
      builder.environment().put("PYTHONPATH", inherited == null || inherited.isBlank() ? path : path + File.pathSeparator + inherited);
    }
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IntrospectionException("cannot run Python '" + config.python() + "' to " + what + ": " + e.getMessage()
          + " (set --python or SNAKEPIT_PYTHON)");
    }
    try {
      process.getOutputStream().close();
      var stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
      var stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
      long budget = Math.max(60_000, config.startupTimeout().toMillis());
      if (!process.waitFor(budget, TimeUnit.MILLISECONDS)) {
        throw new IntrospectionException("Python did not " + what + " within " + budget + " ms");
      }
      if (process.exitValue() != 0) {
        var message = stderr.join().strip();
        var lines = message.lines().toList();
        throw new IntrospectionException("cannot " + what + ": " + (lines.isEmpty() ? "Python exited with " + process.exitValue()
            : lines.getLast().replaceFirst("^snakepit manifest: ", "")));
      }
      return stdout.join();
    } catch (IOException e) {
      throw new IntrospectionException("cannot talk to Python to " + what + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IntrospectionException("interrupted while waiting for Python to " + what);
    } finally {
      process.destroyForcibly();
    }
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
