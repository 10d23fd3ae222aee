package dev.snakepit.internal.transport.lane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.StartupFailedException;
import dev.snakepit.StreamChunk;
import dev.snakepit.internal.transport.ChunkListener;
import dev.snakepit.internal.transport.RemoteToolError;
import dev.snakepit.internal.transport.StreamCall;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lane against a real Python lane worker started by the test (no pool). */
class LaneWorkerTransportTest {
  private static final String TOKEN = "lane-test-token";

  @TempDir
  Path runDirectory;
  private Process process;
  private LaneTransportFactory factory;
  private LaneWorkerTransport transport;

  @BeforeEach
  void start() throws Exception {
    factory = new LaneTransportFactory("lanetest", runDirectory, TOKEN, 16 * 1024 * 1024, java.time.Duration.ZERO, java.time.Duration.ZERO, null, null, null, id -> false);
    transport = (LaneWorkerTransport) factory.connect(launch("w1", TOKEN), "w1");
  }

  @AfterEach
  void stop() throws Exception {
    if (transport != null) {
      transport.close();
    }
    factory.close();
    if (process != null) {
      process.destroy();
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  private Path launch(String workerId, String token) throws IOException, InterruptedException {
    var config = TestPools.config().build();
    var ready = runDirectory.resolve(workerId + ".ready");
    var builder = new ProcessBuilder(config.python().toString(), "-m", "snakepit_bridge.lane", "--adapter",
        "snakepit_bridge.adapters.showcase.ShowcaseAdapter");
    builder.environment().putAll(factory.workerEnvironment(workerId));
    builder.environment().put("SNAKEPIT_READY_FILE", ready.toString());
    builder.environment().put("SNAKEPIT_AUTH_TOKEN", token);
    builder.environment().put("SNAKEPIT_WORKER_ID", workerId);
    builder.environment().put("PYTHONPATH", TestPools.testPython().toString());
    builder.redirectErrorStream(true).redirectOutput(runDirectory.resolve(workerId + ".log").toFile());
    process = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Files.exists(ready)) {
      assertThat(process.isAlive()).as("worker alive: %s", log(workerId)).isTrue();
      assertThat(System.nanoTime() - deadline).as("ready in time").isNegative();
      Thread.sleep(5);
    }
    var text = Files.readString(ready);
    assertThat(text).startsWith("unix:");
    var socket = Path.of(text.substring(5));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
    return socket;
  }

  private String log(String workerId) {
    try {
      return Files.readString(runDirectory.resolve(workerId + ".log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static ToolRequest request(String tool, Map<String, String> json) {
    var arguments = new java.util.LinkedHashMap<String, byte[]>();
    json.forEach((k, v) -> arguments.put(k, v.getBytes(StandardCharsets.UTF_8)));
    return new ToolRequest(tool, "", arguments, Map.of(), Map.of("correlation_id", "c-1"));
  }

  private ToolResponse callSync(ToolRequest request) throws Exception {
    var future = transport.execute(request, Duration.ofSeconds(10), true);
    transport.drive(future, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
    return future.get(10, TimeUnit.SECONDS);
  }

  @Test
  void shouldAnswerASyncCallOnTheCallersThread() throws Exception {
    var response = callSync(request("echo", Map.of("message", "\"h\\u00e9llo \\\"lane\\\"\"")));
    assertThat(response.success()).isTrue();
    assertThat(new String(response.resultJson(), StandardCharsets.UTF_8)).isEqualTo("\"h\\u00e9llo \\\"lane\\\"\"");
    for (int i = 0; i < 200; i++) {
      var r = callSync(request("add", Map.of("a", Integer.toString(i), "b", "1")));
      assertThat(new String(r.resultJson(), StandardCharsets.UTF_8)).isEqualTo(Integer.toString(i + 1));
    }
  }

  @Test
  void shouldAnswerAsyncCallsReadByTheTransportThread() throws Exception {
    var futures = new java.util.ArrayList<CompletableFuture<ToolResponse>>();
    for (int i = 0; i < 50; i++) {
      futures.add(transport.execute(request("add", Map.of("a", Integer.toString(i), "b", "2")), Duration.ofSeconds(10)));
    }
    for (int i = 0; i < 50; i++) {
      assertThat(new String(futures.get(i).get(10, TimeUnit.SECONDS).resultJson(), StandardCharsets.UTF_8))
          .isEqualTo(Integer.toString(i + 2));
    }
    // A call leaves the worker's count just after its answer is written: wait, bounded.
    awaitActive(0);
  }

  @Test
  void shouldReportToolErrorsAsErrorDocuments() throws Exception {
    var response = callSync(request("fail", Map.of("error_type", "\"KeyError\"")));
    assertThat(response.success()).isFalse();
    assertThat(response.errorJson()).contains("\"type\": \"KeyError\"");
    var unknown = callSync(request("nope", Map.of()));
    assertThat(unknown.errorJson()).contains("ToolNotFoundError");
  }

  @Test
  void shouldCarryBytesBothWays() throws Exception {
    var data = new byte[300_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }
    var request = new ToolRequest("echo_bytes", "", Map.of(), Map.of("data", ByteBuffer.wrap(data)), Map.of());
    var response = callSync(request);
    assertThat(response.success()).as(response.errorJson()).isTrue();
    var back = new byte[response.binaryResult().remaining()];
    response.binaryResult().get(back);
    assertThat(back).isEqualTo(data);
    var small = new ToolRequest("echo_bytes", "", Map.of(), Map.of("data", ByteBuffer.wrap(new byte[] {1, 2, 3})), Map.of());
    assertThat(callSync(small).binaryResult()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
  }

  @Test
  void shouldStreamWithCredit() throws Exception {
    var chunks = new CopyOnWriteArrayList<StreamChunk>();
    var done = new CountDownLatch(1);
    var failure = new java.util.concurrent.atomic.AtomicReference<RuntimeException>();
    var handle = new java.util.concurrent.atomic.AtomicReference<StreamCall>();
    transport.stream(request("stream_progress", Map.of("steps", "20", "delay_ms", "0")), Duration.ofSeconds(10), 2,
        new ChunkListener() {
          @Override
          public void onStart(StreamCall call) {
            handle.set(call);
          }

          @Override
          public void onChunk(StreamChunk chunk) {
            chunks.add(chunk);
            handle.get().request(1);
          }

          @Override
          public void onError(RuntimeException error) {
            failure.set(error);
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(failure.get()).isNull();
    assertThat(chunks.getLast().isFinal()).isTrue();
    assertThat(chunks).hasSizeGreaterThanOrEqualTo(20);
    assertThat(chunks.getFirst().contentType()).isEqualTo(StreamChunk.JSON);
  }

  @Test
  void shouldCancelARunningSyncToolThroughItsContext() throws Exception {
    var call = transport.execute(request("sleep_sync", Map.of("ms", "20000")), Duration.ofSeconds(30));
    awaitActive(1);
    call.cancel(true);
    // The tool notices ctx.cancelled and returns; the worker is idle again.
    awaitActive(0);
    assertThat(callSync(request("add", Map.of("a", "1", "b", "1"))).success()).isTrue();
  }

  @Test
  void shouldCancelARunningAsyncTool() throws Exception {
    var call = transport.execute(request("sleep", Map.of("ms", "20000")), Duration.ofSeconds(30));
    awaitActive(1);
    call.cancel(true);
    awaitActive(0);
  }

  @Test
  void shouldTimeOutACallAndCancelItInTheWorker() throws Exception {
    var call = transport.execute(request("sleep_sync", Map.of("ms", "20000")), Duration.ofMillis(300), true);
    transport.drive(call, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300));
    assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(TransportFailure.class)
        .satisfies(e -> assertThat(((TransportFailure) e).kind()).isEqualTo(TransportFailure.Kind.DEADLINE_EXCEEDED));
    awaitActive(0);
  }

  @Test
  void shouldFailPendingCallsTypedWhenTheWorkerDies() throws Exception {
    var call = transport.execute(request("sleep", Map.of("ms", "20000")), Duration.ofSeconds(30));
    awaitActive(1);
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(TransportFailure.class)
        .cause().satisfies(e -> assertThat(((TransportFailure) e).kind()).isEqualTo(TransportFailure.Kind.CONNECTION_LOST));
  }

  @Test
  void shouldRejectAWrongToken() throws Exception {
    transport.close();
    transport = null;
    process.destroy();
    process.waitFor(10, TimeUnit.SECONDS);
    var socket = launch("w2", "another-token");
    assertThatThrownBy(() -> factory.connect(socket, "w2")).isInstanceOf(StartupFailedException.class)
        .hasMessageContaining("invalid pool token");
  }

  private void awaitActive(int expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      int active = transport.ping(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS).activeCalls();
      if (active == expected) {
        return;
      }
      assertThat(System.nanoTime() - deadline).as("active calls reach %d (now %d)", expected, active).isNegative();
      Thread.sleep(5);
    }
  }

  static List<Object> unused() {
    return List.of(RemoteToolError.class);
  }
}
