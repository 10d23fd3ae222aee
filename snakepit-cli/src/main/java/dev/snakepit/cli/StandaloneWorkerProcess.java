package dev.snakepit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One standalone worker ({@code python -m snakepit_bridge.server --listen 127.0.0.1:PORT ...}) run
 * as a real local process, the stand-in for a worker pod: started, killed, paused and resumed by
 * {@code snakepit chaos --standalone}. Port 0 picks a free port; restart on the port it got.
 */
final class StandaloneWorkerProcess {
  private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final Process process;
  private final int port;

  private StandaloneWorkerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts a worker on 127.0.0.1:{@code port} and waits until it listens.
   *
   * @param directory a private directory for its ready file and log
   * @param started gets its pid as soon as it exists, so that a stop on Ctrl-C finds it while it starts
   * @throws IOException when it exits or does not listen within 60 s (with its log)
   */
  static StandaloneWorkerProcess start(Path python, String adapter, Path tokenFile, Path directory, int port,
      Set<Long> started) throws IOException {
    var ready = Files.createTempFile(directory, "ready-", "");
    Files.delete(ready);
    var log = Files.createTempFile(directory, "worker-", ".log");
    var command = List.of(python.toString(), "-m", "snakepit_bridge.server", "--listen", "127.0.0.1:" + port,
        "--adapter", adapter, "--token-file", tokenFile.toString());
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("SNAKEPIT_READY_FILE", ready.toString());
    var process = builder.start();
    started.add(process.pid());
    long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
    // The worker writes the ready file once its port is bound; poll it (no event to wait on).
    while (!Files.exists(ready) && process.isAlive() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    if (!Files.exists(ready) || !process.isAlive()) {
      process.destroyForcibly();
      throw new IOException("standalone worker on 127.0.0.1:" + port + " did not start within 60 s (" + command
          + "); its output: " + Files.readString(log).strip() + ". Check --python and --adapter.");
    }
    return new StandaloneWorkerProcess(process, Integer.parseInt(Files.readString(ready).strip()));
  }

  /** The port it listens on. */
  int port() {
    return port;
  }

  /** Its process id. */
  long pid() {
    return process.pid();
  }

  /** SIGKILL, and wait for it to be gone so that its port is free for the next incarnation. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGSTOP: it stays alive but answers nothing, as behind a network partition. */
  void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT: the partition ends. */
  void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  /** Resumed (a stopped process would not act on SIGTERM), SIGTERM to drain, SIGKILL after 10 s. */
  void stop() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    try {
      resume();
    } catch (IOException e) {
      // No kill(1): SIGKILL below still ends a stopped process.
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      kill();
    }
  }

  private void signal(String name) throws IOException, InterruptedException {
    // The JDK sends only SIGTERM and SIGKILL; kill(1) sends the rest.
    var kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed");
    }
  }
}
