package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.Gate;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class SessionIntegrationTest {
  private static final Duration BOUND = Duration.ofSeconds(20);

  private static long counter(ToolResult result) {
    return ((Number) result.asMap().get("counter")).longValue();
  }

  @Test
  void sessionIdReachesPythonAndStateKeptPerSessionSurvivesAcrossCalls() {
    try (var pit = Snakepit.start(TestPools.config().workers(3).build());
        var alpha = pit.session("alpha", Affinity.STRICT_QUEUE);
        var beta = pit.session("beta", Affinity.STRICT_QUEUE)) {
      for (int i = 1; i <= 5; i++) {
        var result = alpha.execute("session_counter", Map.of("increment", 1));
        assertThat(result.asMap()).containsEntry("session_id", "alpha");
        assertThat(counter(result)).isEqualTo(i);
      }
      assertThat(counter(beta.execute("session_counter", Map.of("increment", 10)))).isEqualTo(10);
      assertThat(counter(alpha.execute("session_counter", Map.of("increment", 0)))).isEqualTo(5);
    }
  }

  @Test
  void fiveCallsOfASessionLandOnOneWorker() {
    try (var pit = Snakepit.start(TestPools.config().workers(3).build()); var session = pit.session()) {
      var workers = new HashSet<String>();
      for (int i = 0; i < 5; i++) {
        workers.add(session.execute("add", Map.of("a", i, "b", 1)).workerId());
      }
      assertThat(workers).hasSize(1).containsExactly(session.boundWorkerId());
    }
  }

  @Test
  void concurrentFirstCallsOfOneStrictSessionBindToTheSameWorker() throws Exception {
    try (var pit = Snakepit.start(TestPools.config().workers(3).workerConcurrency(4).build());
        var session = pit.session("race", Affinity.STRICT_QUEUE);
        var threads = Executors.newFixedThreadPool(8)) {
      var start = new CountDownLatch(1);
      var calls = new ArrayList<CompletableFuture<ToolResult>>();
      for (int i = 0; i < 8; i++) {
        calls.add(CompletableFuture.supplyAsync(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return session.execute("session_counter", Map.of("increment", 1));
        }, threads));
      }
      start.countDown();

      var workers = new HashSet<String>();
      var counters = new HashSet<Long>();
      for (var call : calls) {
        workers.add(call.join().workerId());
        counters.add(counter(call.join()));
      }
      assertThat(workers).hasSize(1);
      assertThat(counters).as("one counter, incremented 8 times").hasSize(8).contains(8L);
    }
  }

  @Test
  void strictSessionFailsWithWorkerLostAfterItsWorkerIsKilled() {
    try (var pit = Snakepit.start(TestPools.config().workers(2).build()); var session = pit.session("s", Affinity.STRICT_QUEUE)) {
      session.execute("session_counter", Map.of());
      var bound = session.boundWorkerId();
      var pid = ((Number) session.execute("adapter_info", Map.of()).asMap().get("pid")).longValue();

      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      Waiting.require("the worker to be gone from the pool", BOUND, () -> !pit.workerIds().contains(bound));

      assertThatThrownBy(() -> session.execute("session_counter", Map.of()))
          .isInstanceOfSatisfying(SessionException.class, e -> {
            assertThat(e.reason()).isEqualTo(SessionException.Reason.WORKER_LOST);
            assertThat(e.sessionId()).isEqualTo("s");
            assertThat(e.getMessage()).contains(bound, "died");
          });
      assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).isEqualTo(2);
    }
  }

  @Test
  void hintSessionRebindsAfterItsWorkerIsKilled() {
    try (var pit = Snakepit.start(TestPools.config().workers(2).build()); var session = pit.session("h", Affinity.HINT)) {
      session.execute("session_counter", Map.of());
      var bound = session.boundWorkerId();
      var pid = ((Number) session.execute("adapter_info", Map.of()).asMap().get("pid")).longValue();

      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      Waiting.require("the worker to be gone from the pool", BOUND, () -> !pit.workerIds().contains(bound));

      var result = session.execute("session_counter", Map.of());
      assertThat(counter(result)).as("a fresh worker starts the counter again").isEqualTo(1);
      assertThat(session.boundWorkerId()).isNotEqualTo(bound);
    }
  }

  @Test
  void affinityModesWhenTheBoundWorkerIsBusy(@TempDir Path dir) {
    var gate = new Gate(dir, "blocker");
    try (var pit = Snakepit.start(TestPools.gated().workers(2).build());
        var session = pit.session("busy", Affinity.HINT)) {
      session.execute("add", Map.of("a", 1, "b", 1));
      var bound = session.boundWorkerId();
      var blocker = session.executeAsync("wait_gate", gate.arguments());
      Waiting.require("the bound worker to be busy", BOUND, () -> pit.stats().busy() == 1);

      // HINT: served by the other worker at once.
      var hinted = session.execute("add", Map.of("a", 2, "b", 2));
      assertThat(hinted.workerId()).isNotEqualTo(bound);

      // STRICT_FAIL_FAST: typed busy error at once.
      assertThatThrownBy(() -> session.execute("add", Map.of("a", 1, "b", 1), CallOptions.defaults().withAffinity(Affinity.STRICT_FAIL_FAST)))
          .isInstanceOfSatisfying(PoolSaturatedException.class, e -> {
            assertThat(e.reason()).isEqualTo(PoolSaturatedException.Reason.SESSION_WORKER_BUSY);
            assertThat(e.getMessage()).contains(bound);
          });

      // STRICT_QUEUE: waits for the bound worker even though another is free.
      var strict = session.executeAsync("add", Map.of("a", 3, "b", 3), CallOptions.defaults().withAffinity(Affinity.STRICT_QUEUE));
      Waiting.require("the strict call to queue", BOUND, () -> pit.stats().queued() == 1);
      assertThat(strict).as("the strict call waits for the blocker").isNotDone();
      gate.open();
      assertThat(strict.join().workerId()).isEqualTo(bound);
      assertThat(blocker.join().as(Boolean.class)).isTrue();
      assertThat(session.boundWorkerId()).isEqualTo(bound);
    }
  }

  @Test
  void idleSessionsExpireAfterTheirTtl() {
    var config = TestPools.config().sessionTtl(Duration.ofMillis(300)).healthCheck(Duration.ofMillis(100), Duration.ofMillis(100)).build();
    try (var pit = Snakepit.start(config)) {
      var session = pit.session("short-lived");
      session.execute("session_counter", Map.of());
      assertThat(pit.stats().sessions()).isEqualTo(1);

      Waiting.require("the session to expire", BOUND, () -> pit.stats().sessions() == 0);

      assertThatThrownBy(() -> session.execute("session_counter", Map.of()))
          .isInstanceOfSatisfying(SessionException.class, e -> assertThat(e.reason()).isEqualTo(SessionException.Reason.EXPIRED));
      assertThat(pit.session("short-lived").boundWorkerId()).as("a reopened session starts unbound").isNull();
    }
  }

  @Test
  void sessionCapIsEnforcedWithATypedError() {
    try (var pit = Snakepit.start(TestPools.config().maxSessions(2).build())) {
      var first = pit.session("one");
      pit.session("two");

      assertThatThrownBy(() -> pit.session("three"))
          .isInstanceOfSatisfying(SessionException.class, e -> {
            assertThat(e.reason()).isEqualTo(SessionException.Reason.LIMIT_REACHED);
            assertThat(e.getMessage()).contains("maxSessions");
          });
      assertThat(pit.session("one").id()).isEqualTo("one");

      first.close();
      assertThat(pit.session("three").id()).isEqualTo("three");
      assertThatThrownBy(() -> first.execute("add", Map.of("a", 1, "b", 1)))
          .isInstanceOfSatisfying(SessionException.class, e -> assertThat(e.reason()).isEqualTo(SessionException.Reason.CLOSED));
    }
  }

  @Test
  void callsWithASessionIdInTheirOptionsCreateTheSessionImplicitly() {
    try (var pit = Snakepit.start(TestPools.config().build())) {
      var result = pit.execute("session_counter", Map.of(), CallOptions.defaults().withSessionId("implicit"));

      assertThat(result.asMap()).containsEntry("session_id", "implicit");
      assertThat(pit.stats().sessions()).isEqualTo(1);
    }
  }

  @Test
  void sessionStreamsFollowTheBinding() {
    try (var pit = Snakepit.start(TestPools.config().workers(2).build()); var session = pit.session()) {
      session.execute("add", Map.of("a", 1, "b", 1));
      try (var stream = session.stream("stream_progress", Map.of("steps", 2, "delay_ms", 0))) {
        List<StreamChunk> chunks = new ArrayList<>();
        stream.forEachRemaining(chunks::add);
        assertThat(chunks).hasSize(2);
      }
      assertThat(session.boundWorkerId()).isNotNull();
    }
  }
}
