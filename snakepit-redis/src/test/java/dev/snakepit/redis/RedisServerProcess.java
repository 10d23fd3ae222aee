package dev.snakepit.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} on 127.0.0.1 and a free port, without persistence, for one test class.
 * {@code .ci/run} installs the Debian package; on a developer machine without it the tests are
 * skipped with the reason (in CI, where {@code CI=true}, a missing server fails instead).
 */
final class RedisServerProcess implements AutoCloseable {
  private final Process process;
  private final Path directory;
  private final int port;

  private RedisServerProcess(Process process, Path directory, int port) {
    this.process = process;
    this.directory = directory;
    this.port = port;
  }

  static RedisServerProcess start() throws IOException, InterruptedException {
    String binary = findBinary();
    var directory = Files.createTempDirectory("snakepit-redis-test");
    for (int attempt = 1; ; attempt++) {
      int port = freePort();
      var process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", directory.toString(), "--logfile", "")
          .redirectErrorStream(true)
          .redirectOutput(directory.resolve("redis.log").toFile())
          .start();
      var server = new RedisServerProcess(process, directory, port);
      if (server.awaitReady(Duration.ofSeconds(20))) {
        return server;
      }
      server.close();
      if (attempt == 3) {
        throw new IOException("redis-server did not start on 127.0.0.1:" + port + ": "
            + Files.readString(directory.resolve("redis.log")));
      }
    }
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  /** Sends one inline command (e.g. {@code FLUSHALL}) and returns the first reply line. */
  String command(String command) throws IOException {
    try (var socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
      var in = socket.getInputStream();
      var line = new StringBuilder();
      for (int c; (c = in.read()) != -1 && c != '\n'; ) {
        line.append((char) c);
      }
      return line.toString().strip();
    }
  }

  @Override
  public void close() throws InterruptedException, IOException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    try (var files = Files.list(directory)) {
      for (var file : files.toList()) {
        Files.deleteIfExists(file);
      }
    }
    Files.deleteIfExists(directory);
  }

  private boolean awaitReady(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() - deadline < 0 && process.isAlive()) {
      try {
        if ("+PONG".equals(command("PING"))) {
          return true;
        }
      } catch (IOException notYet) {
        Thread.sleep(20); // polling a process we started until it listens; bounded above
      }
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static String findBinary() {
    for (var candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    String reason = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)";
    if ("true".equals(System.getenv("CI"))) {
      throw new IllegalStateException(reason);
    }
    Assumptions.abort(reason);
    return null;
  }
}
