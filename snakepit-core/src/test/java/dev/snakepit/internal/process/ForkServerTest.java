package dev.snakepit.internal.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.telemetry.WorkerOutput;
import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The fork server against a real template process: fork, output, exit codes, crash and restart. */
@ExtendWith(LeakCheck.class)
class ForkServerTest {
  private static final Duration BOUND = Duration.ofSeconds(20);
  private static final String SHOWCASE = SnakepitConfig.SHOWCASE_ADAPTER;

  @TempDir
  Path run;

  @BeforeAll
  static void linuxOnly() {
    assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "the fork server forks on Linux only");
  }

  private ForkServer.Settings settings(String adapter, boolean required) {
    return settings(adapter, required, Duration.ofMillis(50));
  }

  private ForkServer.Settings settings(String adapter, boolean required, Duration backoff) {
    var python = SnakepitConfig.defaults().python().toString();
    var env = new HashMap<String, String>();
    env.put("PYTHONPATH", TestPools.testPython().toString());
    env.put("PYTHONUNBUFFERED", "1");
    env.put("SNAKEPIT_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
    return new ForkServer.Settings("forktest", "forktest-template",
        List.of(python, "-m", "snakepit_bridge.zygote", "--adapter", adapter, "--snakepit-run-id", "forktest-run"),
        env, null, run.resolve("out.sock"), BOUND, backoff, backoff.multipliedBy(4), required,
        new WorkerOutput.Settings(false, org.slf4j.event.Level.WARN));
  }

  private LaunchSpec spec(String workerId) {
    var env = Map.of("SNAKEPIT_READY_FILE", run.resolve(workerId + ".ready").toString(), "SNAKEPIT_WORKER_ID", workerId,
        "PYTHONUNBUFFERED", "1");
    return new LaunchSpec(workerId, List.of(), env, null, run.resolve(workerId + ".ready"), Duration.ofSeconds(2));
  }

  private static List<String> arguments(String adapter) {
    return List.of("--adapter", adapter, "--port", "0", "--snakepit-run-id", "forktest-run");
  }

  @Test
  void forkedWorkerWritesItsReadyFileAndItsOwnStderr() {
    var registry = new WorkerRegistry(run.resolve("registry"), "forktest-run");
    var server = ForkServer.start(settings(SHOWCASE, true), registry);
    try {
      assertThat(server).isNotNull();
      assertThat(server.unavailableReason()).isNull();
      long template = server.templatePid().orElseThrow();
      var worker = WorkerProcess.adopt(spec("fw-1"), server.fork(spec("fw-1"), arguments(SHOWCASE), BOUND), "forktest",
          new WorkerOutput.Settings(false, org.slf4j.event.Level.WARN));
      var ready = worker.awaitReady(BOUND);
      assertThat(ready).isNotNull();
      assertThat(worker.pid()).isNotEqualTo(template);
      assertThat(worker.handle().parent().map(ProcessHandle::pid)).contains(template);
      Waiting.require("the worker's log on its own stderr", BOUND, () -> worker.stderrTail().contains("listening on"));

      worker.kill();
      assertThat(worker.onExit().join()).isEqualTo(128 + 9);
      assertThat(worker.isAlive()).isFalse();
    } finally {
      if (server != null) {
        server.close();
      }
      registry.delete();
    }
  }

  @Test
  void aTemplateThatDiesIsRestartedAndItsWorkersExit() throws Exception {
    var registry = new WorkerRegistry(run.resolve("registry"), "forktest-run");
    var server = ForkServer.start(settings(SHOWCASE, true, Duration.ofSeconds(2)), registry);
    try {
      var worker = WorkerProcess.adopt(spec("fw-2"), server.fork(spec("fw-2"), arguments(SHOWCASE), BOUND), "forktest",
          new WorkerOutput.Settings(false, org.slf4j.event.Level.WARN));
      worker.awaitReady(BOUND);
      long first = server.templatePid().orElseThrow();
      ProcessHandle.of(first).orElseThrow().destroyForcibly();

      Waiting.require("the forked worker to exit with its template", Duration.ofSeconds(5), () -> !worker.isAlive());
      Waiting.require("the template's death to be noticed", BOUND, () -> server.unavailableReason() != null);
      assertThat(server.fork(spec("fw-3"), arguments(SHOWCASE), BOUND)).as("no template: spawn instead").isNull();
      Waiting.require("the template to be restarted", BOUND,
          () -> server.templatePid().isPresent() && server.templatePid().getAsLong() != first
              && server.unavailableReason() == null);
      var again = WorkerProcess.adopt(spec("fw-4"), server.fork(spec("fw-4"), arguments(SHOWCASE), BOUND), "forktest",
          new WorkerOutput.Settings(false, org.slf4j.event.Level.WARN));
      again.awaitReady(BOUND);
      again.stop(Duration.ofSeconds(2));
    } finally {
      server.close();
      registry.delete();
    }
  }

  @Test
  void aTemplateThatCannotForkMeansSpawnInAutoAndAnErrorInForkMode() {
    var registry = new WorkerRegistry(run.resolve("registry"), "forktest-run");
    assertThat(ForkServer.start(settings("zygote_threaded.ThreadedAdapter", false), registry)).isNull();
    assertThatThrownBy(() -> ForkServer.start(settings("zygote_threaded.ThreadedAdapter", true), registry))
        .isInstanceOf(StartupFailedException.class)
        .hasMessageContaining("start mode FORK")
        .hasMessageContaining("thread");
    assertThat(Files.exists(run.resolve("out.sock"))).isFalse();
    registry.delete();
  }
}
