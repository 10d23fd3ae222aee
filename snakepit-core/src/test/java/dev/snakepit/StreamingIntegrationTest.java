package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class StreamingIntegrationTest {
  private static Snakepit pit;

  @BeforeAll
  static void startPool() {
    // One worker, so the counters read through adapter_info belong to the worker that streamed.
    pit = Snakepit.start(TestPools.config().workers(1).build());
  }

  @AfterAll
  static void closePool() {
    pit.close();
  }

  private static long counter(String name) {
    @SuppressWarnings("unchecked")
    var counters = (Map<String, Object>) pit.execute("adapter_info").asMap().get("counters");
    return ((Number) counters.get(name)).longValue();
  }

  @Test
  void streamDeliversEveryChunkInOrderAndEndsWithAFinalOne() {
    var chunks = new ArrayList<StreamChunk>();
    try (var stream = pit.stream("stream_progress", Map.of("steps", 5, "delay_ms", 1))) {
      stream.forEachRemaining(chunks::add);
    }

    assertThat(chunks).hasSize(5);
    assertThat(chunks).extracting(c -> ((Number) c.asMap().get("step")).intValue()).containsExactly(1, 2, 3, 4, 5);
    assertThat(chunks.getLast().isFinal()).isTrue();
    assertThat(chunks.subList(0, 4)).noneMatch(StreamChunk::isFinal);
    assertThat(chunks.getFirst().asMap()).containsKeys("total", "progress", "message", "elapsed_ms");
  }

  @Test
  void streamWorksAsAJavaStream() {
    try (var chunks = pit.stream("stream_progress", Map.of("steps", 3, "delay_ms", 0)).stream()) {
      assertThat(chunks.map(c -> c.asMap().get("step")).toList()).containsExactly(1, 2, 3);
    }
  }

  @Test
  void closingAStreamEarlyClosesThePythonGenerator() {
    long closedBefore = counter("streams_closed_early");

    try (var stream = pit.stream("stream_progress", Map.of("steps", 10_000, "delay_ms", 5))) {
      assertThat(stream.next().asMap().get("step")).isEqualTo(1);
      assertThat(stream.next().asMap().get("step")).isEqualTo(2);
    }

    Waiting.require("the generator's finally block to run", Duration.ofSeconds(10),
        () -> counter("streams_closed_early") > closedBefore);
    assertThat(pit.stats().busy()).isZero();
  }

  @Test
  void callbackFormDeliversChunksAndCompletes() {
    var seen = new CopyOnWriteArrayList<StreamChunk>();

    pit.stream("stream_progress", Map.of("steps", 4, "delay_ms", 0), CallOptions.defaults(), seen::add).join();

    assertThat(seen).hasSize(4);
    assertThat(seen.getLast().isFinal()).isTrue();
  }

  @Test
  void callbackThatThrowsCancelsTheStreamAndFailsTheFuture() {
    long closedBefore = counter("streams_closed_early");
    var future = pit.stream("stream_progress", Map.of("steps", 10_000, "delay_ms", 5), CallOptions.defaults(), chunk -> {
      throw new IllegalStateException("consumer gave up");
    });

    assertThatThrownBy(future::join).isInstanceOf(CompletionException.class).hasRootCauseMessage("consumer gave up");
    Waiting.require("the generator to be closed", Duration.ofSeconds(10), () -> counter("streams_closed_early") > closedBefore);
  }

  @Test
  void errorInsideAStreamArrivesAsATypedError() {
    try (var stream = pit.stream("stream_progress", Map.of("steps", 0))) {
      assertThatThrownBy(stream::hasNext)
          .isInstanceOfSatisfying(PythonException.class, e -> {
            assertThat(e.pythonType()).isEqualTo("ValueError");
            assertThat(e.pythonMessage()).contains("steps must be >= 1");
          });
    }
  }

  @Test
  void streamingAnUnknownToolFailsWithToolNotFound() {
    try (var stream = pit.stream("stream_progres", Map.of())) {
      assertThatThrownBy(stream::hasNext)
          .isInstanceOfSatisfying(ToolNotFoundException.class, e -> assertThat(e.suggestion()).contains("stream_progress"));
    }
  }

  @Test
  void streamPastItsDeadlineTimesOut() {
    var options = CallOptions.defaults().withTimeout(Duration.ofMillis(300));
    try (var stream = pit.stream("stream_progress", Map.of("steps", 1000, "delay_ms", 50), options)) {
      assertThatThrownBy(() -> stream.forEachRemaining(c -> {}))
          .isInstanceOfSatisfying(CallTimeoutException.class, e -> assertThat(e.phase()).isEqualTo(CallTimeoutException.Phase.RUNNING));
    }
    assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).isEqualTo(2);
  }

  @Test
  void nonStreamingToolStreamsAsOneFinalChunk() {
    try (var stream = pit.stream("add", Map.of("a", 1, "b", 2))) {
      List<StreamChunk> chunks = new ArrayList<>();
      stream.forEachRemaining(chunks::add);
      assertThat(chunks).isNotEmpty();
      assertThat(chunks.getLast().isFinal()).isTrue();
      assertThat(chunks.getFirst().asJson().asInt()).isEqualTo(3);
    }
  }
}
