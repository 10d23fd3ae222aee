package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.junit.SnakepitLeakCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code snakepit call --remote} against a real standalone worker on 127.0.0.1. */
@ExtendWith(SnakepitLeakCheck.class)
class RemoteCallCommandTest {
  @TempDir static Path directory;
  private static Process worker;
  private static String endpoint;

  @BeforeAll
  static void startWorker() throws Exception {
    Files.writeString(directory.resolve("token"), "cli-remote-token\n");
    Files.writeString(directory.resolve("wrong"), "not-it\n");
    var ready = directory.resolve("ready");
    var root = Path.of(System.getProperty("snakepit.repoRoot", "..")).toAbsolutePath().normalize();
    var python = root.resolve(".venv/bin/python");
    var builder = new ProcessBuilder(List.of(Files.isExecutable(python) ? python.toString() : "python3", "-m",
        "snakepit_bridge.server", "--listen", "127.0.0.1:0", "--adapter",
        "snakepit_bridge.adapters.showcase.ShowcaseAdapter", "--token-file", directory.resolve("token").toString()))
        .redirectErrorStream(true).redirectOutput(directory.resolve("worker.log").toFile());
    builder.environment().put("SNAKEPIT_READY_FILE", ready.toString());
    worker = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(ready) && worker.isAlive() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    assertThat(ready).as(Files.readString(directory.resolve("worker.log"))).exists();
    endpoint = "127.0.0.1:" + Files.readString(ready).strip();
  }

  @AfterAll
  static void stopWorker() throws Exception {
    if (worker != null) {
      worker.destroy();
      if (!worker.waitFor(20, TimeUnit.SECONDS)) {
        worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void shouldCallTheRemoteWorkerWithTheToken() {
    var run = Cli.run("call", "add", "a=2", "b=2", "--remote", endpoint, "--token-file",
        directory.resolve("token").toString());

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).isEqualTo("4\n");
  }

  @Test
  void shouldExitOneNamingAuthenticationWhenTheTokenIsWrong() {
    var run = Cli.run("call", "add", "a=2", "b=2", "--remote", endpoint, "--token-file",
        directory.resolve("wrong").toString(), "--startup-timeout", "10s");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.errJson().path("message").asText()).contains("authentication failed").contains(endpoint)
        .contains("--token-file");
  }

  @Test
  void shouldRejectATokenFileWithoutRemote() {
    var run = Cli.run("call", "add", "a=2", "b=2", "--token-file", directory.resolve("token").toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).contains("--token-file and --tls-ca go with --remote");
  }
}
