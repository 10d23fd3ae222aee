package dev.snakepit.internal.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.HostTool;
import dev.snakepit.ParamSpec;
import dev.snakepit.PythonException;
import dev.snakepit.RemoteWorkers;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.ToolInfo;
import dev.snakepit.WorkerCrashedException;
import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testsupport.Waiting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host tools called by remote workers, over the host channel the pool opens to each worker: real
 * standalone worker processes on loopback, the public API.
 */
@ExtendWith(LeakCheck.class)
class RemoteHostToolsTest {
  private static final String TOKEN = "remote-host-tools-token";

  @TempDir Path directory;
  private final List<AutoCloseable> closeLast = new ArrayList<>();
  private final CountDownLatch blockedStarted = new CountDownLatch(1);
  private final CountDownLatch blockedInterrupted = new CountDownLatch(1);

  @AfterEach
  void close() throws Exception {
    for (var closeable : closeLast.reversed()) {
      closeable.close();
    }
  }

  private Path tokenFile() throws Exception {
    var file = directory.resolve("token");
    if (!Files.exists(file)) {
      Files.writeString(file, TOKEN);
    }
    return file;
  }

  private StandaloneWorker worker(int port) throws Exception {
    var worker = StandaloneWorker.start(directory, List.of(), "127.0.0.1", port, "--token-file",
        tokenFile().toString());
    closeLast.add(worker);
    return worker;
  }

  private Snakepit pool(StandaloneWorker worker) throws Exception {
    var remote = RemoteWorkers.endpoints("127.0.0.1:" + worker.endpoint().port()).tokenFile(tokenFile())
        .healthCheck(Duration.ofMillis(200), Duration.ofSeconds(1), 2);
    var pit = Snakepit.start(SnakepitConfig.builder().poolName("remote-host").workers(1).remoteWorkers(remote)
        .startupTimeout(Duration.ofSeconds(20)).callTimeout(Duration.ofSeconds(30))
        .hostTool(HostTool.builder("double")
            .description("Twice x")
            .param(ParamSpec.required("x", ParamSpec.INTEGER, "a number"))
            .handler((args, ctx) -> 2 * ((Number) args.get("x")).intValue())
            .build())
        .hostTool(HostTool.of("explode", "Always fails", (args, ctx) -> {
          throw new IllegalStateException("boom from Java");
        }))
        .hostTool(HostTool.of("blocked", "Blocks until interrupted", (args, ctx) -> {
          blockedStarted.countDown();
          try {
            new CountDownLatch(1).await();
            return "not reached";
          } catch (InterruptedException e) {
            blockedInterrupted.countDown();
            throw e;
          }
        }))
        .build());
    closeLast.addFirst(pit);
    return pit;
  }

  private static Object callHost(Snakepit pit, String tool, Map<String, ?> arguments) {
    return pit.execute("call_host", Map.of("tool", tool, "arguments", arguments)).asJson();
  }

  @Test
  void shouldLetARemoteToolCallAHostToolAndListTheRemoteWorkersTools() throws Exception {
    var pit = pool(worker(0));

    assertThat(pit.execute("call_host", Map.of("tool", "double", "arguments", Map.of("x", 21))).as(Integer.class))
        .isEqualTo(42);
    // The worker registered its tools over the channel: the pool lists them like a local worker's.
    assertThat(pit.tools()).extracting(ToolInfo::name).contains("call_host", "add", "echo_bytes");
  }

  @Test
  void shouldFailTheRemoteToolWithTheHostToolsError() throws Exception {
    var pit = pool(worker(0));

    assertThatThrownBy(() -> callHost(pit, "explode", Map.of()))
        .isInstanceOfSatisfying(PythonException.class, e -> {
          assertThat(e.pythonType()).isEqualTo("HostToolError");
          assertThat(e.pythonMessage())
              .isEqualTo("Host tool 'explode' failed: java.lang.IllegalStateException: boom from Java");
        });
    assertThatThrownBy(() -> callHost(pit, "no_such_tool", Map.of()))
        .isInstanceOfSatisfying(PythonException.class, e -> {
          assertThat(e.pythonType()).isEqualTo("HostToolNotFoundError");
          assertThat(e.pythonMessage()).contains("blocked", "double", "explode");  // listed over the channel
        });
  }

  @Test
  void shouldFailTheCallTypedAndInterruptTheHostToolWhenTheWorkerIsLostMidCall() throws Exception {
    var worker = worker(0);
    var pit = pool(worker);
    var call = CompletableFuture.supplyAsync(() -> callHost(pit, "blocked", Map.of()));
    assertThat(blockedStarted.await(30, TimeUnit.SECONDS)).as("the host tool started").isTrue();

    worker.kill();

    assertThat(blockedInterrupted.await(10, TimeUnit.SECONDS))
        .as("the host tool's handler is interrupted when its channel is lost").isTrue();
    assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS)).cause()
        .isInstanceOfSatisfying(WorkerCrashedException.class,
            e -> assertThat(e.getMessage()).contains("127.0.0.1:" + worker.endpoint().port()));
  }

  @Test
  void shouldReopenTheHostChannelWhenTheWorkerComesBackAsANewIncarnation() throws Exception {
    var first = worker(0);
    int port = first.endpoint().port();
    var pit = pool(first);
    assertThat(pit.execute("call_host", Map.of("tool", "double", "arguments", Map.of("x", 1))).as(Integer.class))
        .isEqualTo(2);

    first.kill();
    Waiting.until("the pool to notice the worker is gone", Duration.ofSeconds(20),
        () -> pit.stats().workers() == 0);
    worker(port);

    Waiting.until("a slot on the new incarnation", Duration.ofSeconds(30), () -> pit.stats().workers() == 1);
    assertThat(pit.execute("call_host", Map.of("tool", "double", "arguments", Map.of("x", 5))).as(Integer.class))
        .isEqualTo(10);
  }
}
