package dev.snakepit.internal.remote;

import dev.snakepit.RemoteWorkers.HostPort;
import dev.snakepit.testsupport.Waiting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A standalone Python worker ({@code python -m snakepit_bridge.server --listen ...}) as a real
 * process for tests: started on 127.0.0.1 (or inside a network namespace through {@code prefix},
 * e.g. {@code ip netns exec NS}), its port read from the ready file; {@link #close()} stops it.
 */
public final class StandaloneWorker implements AutoCloseable {
  /** The showcase adapter. */
  public static final String ADAPTER = "snakepit_bridge.adapters.showcase.ShowcaseAdapter";

  private final Process process;
  private final Path log;
  private final HostPort endpoint;

  private StandaloneWorker(Process process, Path log, HostPort endpoint) {
    this.process = process;
    this.log = log;
    this.endpoint = endpoint;
  }

  /** The repository's Python (the launcher's .venv). */
  public static Path python() {
    var root = System.getProperty("snakepit.repoRoot", "..");
    var venv = Path.of(root, ".venv", "bin", "python").toAbsolutePath().normalize();
    return Files.isExecutable(venv) ? venv : Path.of("python3");
  }

  /**
   * Starts a worker listening on {@code host:port} (0: any free port) with these extra flags.
   *
   * @param directory where the ready file and the log go
   * @param prefix command words before python (empty, or {@code ip netns exec NS})
   */
  public static StandaloneWorker start(Path directory, List<String> prefix, String host, int port, String... flags)
      throws IOException {
    var ready = Files.createTempFile(directory, "ready-", "");
    Files.delete(ready);
    var log = Files.createTempFile(directory, "worker-", ".log");
    var command = new ArrayList<>(prefix);
    command.addAll(List.of(python().toString(), "-m", "snakepit_bridge.server", "--listen",
        (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port, "--adapter", ADAPTER));
    command.addAll(List.of(flags));
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("SNAKEPIT_READY_FILE", ready.toString());
    builder.environment().put("SNAKEPIT_WORKER_ID", "standalone-" + host);
    var process = builder.start();
    boolean up = Waiting.until("the worker's ready file", Duration.ofSeconds(60),
        () -> Files.exists(ready) || !process.isAlive());
    if (!up || !Files.exists(ready)) {
      process.destroyForcibly();
      throw new IOException("standalone worker did not start (" + command + "): " + Files.readString(log));
    }
    int bound = Integer.parseInt(Files.readString(ready).strip());
    return new StandaloneWorker(process, log, new HostPort(host, bound));
  }

  /** Where it listens. */
  public HostPort endpoint() {
    return endpoint;
  }

  /** Its process. */
  public Process process() {
    return process;
  }

  /** What it logged. */
  public String output() throws IOException {
    return Files.readString(log);
  }

  /** Kills it at once (SIGKILL). */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM (the worker drains), then waits; SIGKILL after 20 s. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
