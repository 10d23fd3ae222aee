package dev.snakepit.cli;

import dev.snakepit.RemoteWorkers;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartMode;
import dev.snakepit.Transport;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options that say which workers to start: adapter, interpreter, entry point, module path. */
final class PoolOptions {
  @Option(names = "--adapter", paramLabel = "MODULE.CLASS",
      description = "Adapter class the workers serve (default: ${DEFAULT-VALUE}).",
      defaultValue = SnakepitConfig.SHOWCASE_ADAPTER)
  String adapter;

  @Option(names = "--python", paramLabel = "PATH",
      description = "Python interpreter (default: $SNAKEPIT_PYTHON, else the repo's .venv, else python3).")
  Path python;

  @Option(names = "--worker-script", paramLabel = "PATH",
      description = "Run this script instead of 'python -m snakepit_bridge.server' (e.g. a Snakepit grpc_server.py).")
  Path workerScript;

  @Option(names = "--pythonpath", paramLabel = "DIR",
      description = "Add a directory to the workers' PYTHONPATH (repeatable, or several joined by the path separator).")
  List<String> pythonPath = new ArrayList<>();

  @Option(names = "--requirements", paramLabel = "SPEC", split = ",",
      description = "Run the workers in a managed environment with these requirements (pip syntax; repeatable or comma-separated),"
          + " created once under ~/.cache/snakepit/envs; --python is then its base interpreter.")
  List<String> requirements = new ArrayList<>();

  @Option(names = "--requirement-file", paramLabel = "FILE",
      description = "Like --requirements, from a pip requirements file.")
  Path requirementFile;

  @Option(names = "--startup-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "How long a worker may take to start (default: 30s).")
  Duration startupTimeout;

  @Option(names = "--start-mode", paramLabel = "MODE",
      description = "How workers start: AUTO (fork from a template on Linux when safe, else spawn), FORK or SPAWN"
          + " (default: AUTO).")
  StartMode startMode;

  @Option(names = "--transport", paramLabel = "TRANSPORT",
      description = "How the pool talks to workers: AUTO (the lane, a framed Unix socket, for our worker; gRPC for a"
          + " --worker-script), LANE or GRPC (default: AUTO).")
  Transport transport;

  @Option(names = "--remote", paramLabel = "HOST:PORT[,HOST:PORT...]|dns:///NAME:PORT",
      description = "Use these remote (standalone) workers instead of starting local ones (see docs/remote.md).")
  String remote;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "With --remote: the file holding the token the remote workers were started with.")
  Path tokenFile;

  @Option(names = "--tls-ca", paramLabel = "FILE",
      description = "With --remote: speak TLS and verify the workers' certificates against these CA certificates (PEM).")
  Path tlsCa;

  /** The directories of {@code --pythonpath}, split and in order. */
  List<Path> pythonPathEntries() {
    var entries = new ArrayList<Path>();
    for (var option : pythonPath) {
      for (var part : option.split(File.pathSeparator)) {
        if (!part.isBlank()) {
          entries.add(Path.of(part));
        }
      }
    }
    return entries;
  }

  /**
   * A config builder with these options applied; a value the config rejects becomes a usage error.
   *
   * @param poolName the pool's name (shows up in worker ids)
   * @param workers how many workers to start
   */
  SnakepitConfig.Builder builder(CommandLine commandLine, String poolName, int workers) {
    try {
      var builder = SnakepitConfig.builder().poolName(poolName).workers(workers).adapter(adapter);
      if (python != null) {
        builder.python(python);
      }
      if (!requirements.isEmpty() || requirementFile != null) {
        var environment = dev.snakepit.PythonEnvironment.builder().requirements(requirements);
        if (requirementFile != null) {
          environment.requirementsFile(requirementFile);
        }
        if (python != null) {
          environment.baseInterpreter(python);
        }
        builder.pythonEnvironment(environment.build());
      }
      if (workerScript != null) {
        builder.workerScript(workerScript);
      }
      pythonPathEntries().forEach(builder::addPythonPath);
      if (startupTimeout != null) {
        builder.startupTimeout(startupTimeout);
      }
      if (startMode != null) {
        builder.startMode(startMode);
      }
      if (transport != null) {
        builder.transport(transport);
      }
      if (remote != null) {
        var remoteWorkers = RemoteWorkers.parse(remote);
        if (tokenFile != null) {
          remoteWorkers = remoteWorkers.tokenFile(tokenFile);
        }
        if (tlsCa != null) {
          remoteWorkers = remoteWorkers.tls(tlsCa);
        }
        builder.remoteWorkers(remoteWorkers);
      } else if (tokenFile != null || tlsCa != null) {
        throw new IllegalArgumentException("--token-file and --tls-ca go with --remote");
      }
      return builder;
    } catch (IllegalArgumentException e) {
      throw new ParameterException(commandLine, e.getMessage(), e);
    }
  }

  /** Builds {@code builder}, turning a rejected combination into a usage error. */
  static SnakepitConfig build(CommandLine commandLine, SnakepitConfig.Builder builder) {
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(commandLine, e.getMessage(), e);
    }
  }
}
