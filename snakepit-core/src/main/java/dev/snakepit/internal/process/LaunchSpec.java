package dev.snakepit.internal.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to start one worker process.
 *
 * @param workerId the host's name for the worker
 * @param command the full command line
 * @param environment variables added to the inherited environment
 * @param workingDirectory the working directory, or null for the JVM's
 * @param readyFile where the worker writes its port once it listens
 * @param stopGrace how long a worker may take to exit after SIGTERM before it is killed
 */
public record LaunchSpec(String workerId, List<String> command, Map<String, String> environment,
    Path workingDirectory, Path readyFile, Duration stopGrace) {

  /** Validates and copies. */
  public LaunchSpec {
    command = List.copyOf(command);
    environment = Map.copyOf(environment);
  }
}
