package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class PoolEventsIntegrationTest {

  /** Records every event it hears. */
  static final class Recorder implements PoolEventListener {
    final List<Object> events = new CopyOnWriteArrayList<>();

    @Override public void workerStarted(WorkerStarted e) { events.add(e); }
    @Override public void workerReady(WorkerReady e) { events.add(e); }
    @Override public void workerCrashed(WorkerCrashed e) { events.add(e); }
    @Override public void workerRecycled(WorkerRecycled e) { events.add(e); }
    @Override public void workerRetired(WorkerRetired e) { events.add(e); }
    @Override public void callStarted(CallStarted e) { events.add(e); }
    @Override public void callFinished(CallFinished e) { events.add(e); }
    @Override public void queueFull(QueueFull e) { events.add(e); }

    <T> List<T> of(Class<T> type) {
      return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
  }

  @Test
  void listenerHearsTheWorkerLifecycleAndEveryCall() {
    var recorder = new Recorder();
    try (var pit = Snakepit.start(TestPools.config().workers(2).eventListener(recorder).build())) {
      pit.execute("add", Map.of("a", 1, "b", 2));
      assertThatThrownBy(() -> pit.execute("add", Map.of("a", 1))).isInstanceOf(InvalidArgumentsException.class);
      pit.execute("echo_bytes", Map.of("data", new byte[1000]));

      assertThat(recorder.of(PoolEventListener.WorkerStarted.class)).hasSize(2);
      assertThat(recorder.of(PoolEventListener.WorkerReady.class)).hasSize(2)
          .allSatisfy(e -> assertThat(e.startupTime()).isPositive());
      assertThat(recorder.of(PoolEventListener.CallStarted.class)).extracting(PoolEventListener.CallStarted::tool)
          .containsExactly("add", "add", "echo_bytes");
      var finished = recorder.of(PoolEventListener.CallFinished.class);
      assertThat(finished).extracting(PoolEventListener.CallFinished::error)
          .containsExactly(null, ErrorCode.INVALID_ARGUMENTS, null);
      assertThat(finished.get(2).bytesIn()).isGreaterThanOrEqualTo(1000);
      assertThat(finished.get(2).bytesOut()).isEqualTo(1000);
      assertThat(finished).allSatisfy(e -> assertThat(e.workerId()).startsWith("test-w"));
    }
    Waiting.require("retire events", Duration.ofSeconds(5), () -> recorder.of(PoolEventListener.WorkerRetired.class).size() == 2);
  }

  @Test
  void listenerThatThrowsDoesNotBreakThePool() {
    var angry = new PoolEventListener() {
      @Override
      public void callFinished(CallFinished event) {
        throw new IllegalStateException("listener bug");
      }
    };
    try (var pit = Snakepit.start(TestPools.config().eventListener(angry).build())) {
      assertThat(pit.execute("add", Map.of("a", 1, "b", 2)).asLong()).isEqualTo(3);
    }
  }

  @Test
  void crashesAndRecyclesAreHeard() {
    var recorder = new Recorder();
    try (var pit = Snakepit.start(TestPools.config().maxCallsPerWorker(1).eventListener(recorder).build())) {
      pit.execute("add", Map.of("a", 1, "b", 2));
      Waiting.require("the recycle", Duration.ofSeconds(20), () -> !recorder.of(PoolEventListener.WorkerRecycled.class).isEmpty());
      assertThat(recorder.of(PoolEventListener.WorkerRecycled.class).getFirst().reason()).contains("maxCallsPerWorker");

      Waiting.require("the replacement, and the old worker gone", Duration.ofSeconds(20),
          () -> pit.stats().recycles() == 1 && pit.stats().retiring() == 0);
      ProcessHandle.of(pit.workerPids().getFirst()).orElseThrow().destroyForcibly();
      Waiting.require("the crash event", Duration.ofSeconds(20), () -> !recorder.of(PoolEventListener.WorkerCrashed.class).isEmpty());
      assertThat(recorder.of(PoolEventListener.WorkerCrashed.class).getFirst().exitCode()).isEqualTo(137);
    }
  }
}
