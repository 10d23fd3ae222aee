package dev.snakepit.internal.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.PythonParam;
import dev.snakepit.PythonTool;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolResult;
import dev.snakepit.ToolStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Typed clients against a fake target: argument maps, result mapping, streams, async cancellation. */
class ToolClientsTest {
  record Point(double x, double y) {}

  interface Client {
    @PythonTool(name = "add")
    long add(@PythonParam("a") long a, @PythonParam("b") Optional<Long> b);

    default long add(long a) {
      return add(a, Optional.empty());
    }

    @PythonTool(name = "find")
    Optional<Point> find(@PythonParam("label") String label);

    @PythonTool(name = "blob")
    byte[] blob();

    @PythonTool(name = "noop")
    void noop();

    @PythonTool(name = "ticks", streaming = true)
    Stream<Long> ticks(@PythonParam("n") long n);

    @PythonTool(name = "add")
    CompletableFuture<Long> addAsync(@PythonParam("a") long a, @PythonParam("b") Optional<Long> b);
  }

  /** Records calls; answers with the JSON (or bytes) set for each tool. */
  static final class Fake {
    final List<String> calls = new ArrayList<>();
    final Map<String, String> json = new java.util.HashMap<>();
    final CompletableFuture<ToolResult> pending = new CompletableFuture<>();

    ToolResult execute(String tool, Map<String, ?> arguments) {
      calls.add(tool + " " + arguments);
      if (tool.equals("blob")) {
        return new ToolResult(tool, null, ByteBuffer.wrap(new byte[] {1, 2}), "w1", null, null);
      }
      return new ToolResult(tool, json.get(tool).getBytes(StandardCharsets.UTF_8), null, "w1", null, null);
    }

    CompletableFuture<ToolResult> executeAsync(String tool, Map<String, ?> arguments) {
      calls.add("async " + tool + " " + arguments);
      return pending;
    }

    ToolStream stream(String tool, Map<String, ?> arguments) {
      calls.add("stream " + tool + " " + arguments);
      Iterator<StreamChunk> chunks = List.of(
          new StreamChunk(1, "1".getBytes(StandardCharsets.UTF_8), false, Map.of()),
          new StreamChunk(2, "2".getBytes(StandardCharsets.UTF_8), false, Map.of()),
          new StreamChunk(3, new byte[0], true, Map.of())).iterator();
      return new ToolStream() {
        @Override
        public boolean hasNext() {
          return chunks.hasNext();
        }

        @Override
        public StreamChunk next() {
          return chunks.next();
        }

        @Override
        public void close() {
          calls.add("closed");
        }
      };
    }

    Client client() {
      return ToolClients.create(Client.class, new ToolClients.Target(this::execute, this::executeAsync, this::stream, "fake"));
    }
  }

  @Test
  void shouldSendNamedArgumentsAndLeaveOutEmptyOptionals() {
    var fake = new Fake();
    fake.json.put("add", "5");
    var client = fake.client();

    assertThat(client.add(2, Optional.of(3L))).isEqualTo(5);
    assertThat(client.add(2)).isEqualTo(5);
    assertThat(fake.calls).containsExactly("add {a=2, b=3}", "add {a=2}");
  }

  @Test
  void shouldMapResultsOptionalsBytesAndVoid() {
    var fake = new Fake();
    fake.json.put("find", "{\"x\": 1.5, \"y\": 2, \"extra\": true}");
    fake.json.put("noop", "null");
    var client = fake.client();

    assertThat(client.find("p")).contains(new Point(1.5, 2));
    fake.json.put("find", "null");
    assertThat(client.find("p")).isEmpty();
    assertThat(client.blob()).containsExactly(1, 2);
    client.noop();
  }

  @Test
  void shouldRefuseANullResultForAPrimitiveNamingTheTool() {
    var fake = new Fake();
    fake.json.put("add", "null");

    assertThatThrownBy(() -> fake.client().add(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Tool 'add' returned None");
  }

  @Test
  void shouldStreamChunksWithoutTheEmptyFinalOneAndCloseTheCall() {
    var fake = new Fake();
    try (var ticks = fake.client().ticks(2)) {
      assertThat(ticks.toList()).containsExactly(1L, 2L);
    }
    assertThat(fake.calls).containsExactly("stream ticks {n=2}", "closed");
  }

  @Test
  void shouldCancelTheCallWhenTheCallerCancelsTheFuture() {
    var fake = new Fake();
    var future = fake.client().addAsync(1, Optional.empty());

    future.cancel(true);

    assertThat(fake.pending).isCancelled();
  }

  @Test
  void shouldMapAnAsyncResult() {
    var fake = new Fake();
    var future = fake.client().addAsync(1, Optional.of(2L));
    fake.pending.complete(new ToolResult("add", "3".getBytes(StandardCharsets.UTF_8), null, "w1", null, null));

    assertThat(future.join()).isEqualTo(3L);
  }

  @Test
  void shouldAnswerObjectMethodsWithoutCalling() {
    var fake = new Fake();
    var client = fake.client();

    assertThat(client.toString()).isEqualTo("Client client of fake");
    assertThat(client).isEqualTo(client).hasSameHashCodeAs(client);
    assertThat(fake.calls).isEmpty();
  }

  interface MissingParam {
    @PythonTool(name = "t")
    void t(String unnamed);
  }

  @Test
  void shouldRejectAParameterWithoutItsPythonName() {
    var fake = new Fake();
    assertThatThrownBy(() -> ToolClients.create(MissingParam.class,
        new ToolClients.Target(fake::execute, fake::executeAsync, fake::stream, "fake")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("parameter 1 of MissingParam.t has no @PythonParam");
  }
}
