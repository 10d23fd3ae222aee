package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.PoolHolder;
import dev.snakepit.testing.Gate;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Crashes, hangs, stuck calls, recycling, the breaker and orphans, with real worker processes. */
@ExtendWith(LeakCheck.class)
class LifecycleIntegrationTest {
  private static final Duration BOUND = Duration.ofSeconds(20);

  private static void kill(long pid, String signal) throws Exception {
    var status = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
    assertThat(status).as("kill -" + signal + " " + pid).isZero();
  }

  private static List<Path> runDirectoriesStartingWith(String prefix) throws java.io.IOException {
    try (var entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
    }
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  @Test
  void crashFailsTheRunningCallAndTheReplacementServesTheQueuedOne() throws Exception {
    try (var pit = Snakepit.start(TestPools.config().build())) {
      var running = pit.executeAsync("sleep", Map.of("ms", 30_000));
      Waiting.require("the call to run", BOUND, () -> pit.stats().busy() == 1);
      var queued = pit.executeAsync("add", Map.of("a", 40, "b", 2));
      Waiting.require("a call to queue", BOUND, () -> pit.stats().queued() == 1);

      kill(pit.workerPids().getFirst(), "KILL");

      assertThatThrownBy(running::join).cause().isInstanceOf(WorkerCrashedException.class);
      assertThat(queued.join().asLong()).isEqualTo(42);
      assertThat(pit.stats().crashes()).isEqualTo(1);
    }
  }

  @Test
  void idempotentCallIsRetriedOnceOnAnotherWorkerAfterACrash(@TempDir Path dir) throws Exception {
    var gate = new Gate(dir, "call");
    try (var pit = Snakepit.start(TestPools.gated().build())) {
      long firstPid = pit.workerPids().getFirst();
      var call = pit.executeAsync("wait_gate", gate.arguments(), CallOptions.defaults().withIdempotent(true));
      Waiting.require("the call to run", BOUND, () -> pit.stats().busy() == 1);

      kill(firstPid, "KILL");

      Waiting.require("the retry to run on the replacement", BOUND,
          () -> pit.stats().busy() == 1 && pit.workerIds().stream().anyMatch(id -> id.endsWith("-g2")));
      gate.open();
      var result = call.join();
      assertThat(result.as(Boolean.class)).isTrue();
      assertThat(result.workerId()).endsWith("-g2");
      assertThat(pit.stats().completedCalls()).isEqualTo(1);
      assertThat(pit.stats().failedCalls()).isZero();
    }
  }

  @Test
  void nonIdempotentCallIsNeverRetried() throws Exception {
    try (var pit = Snakepit.start(TestPools.config().build())) {
      var call = pit.executeAsync("sleep", Map.of("ms", 30_000));
      Waiting.require("the call to run", BOUND, () -> pit.stats().busy() == 1);

      kill(pit.workerPids().getFirst(), "KILL");

      assertThatThrownBy(call::join).cause().isInstanceOf(WorkerCrashedException.class);
      Waiting.require("the replacement", BOUND, () -> pit.stats().workers() == 1);
      @SuppressWarnings("unchecked")
      var counters = (Map<String, Object>) pit.execute("adapter_info").asMap().get("counters");
      assertThat(((Number) counters.get("calls")).longValue()).as("calls seen by the fresh worker: only this one").isEqualTo(1);
    }
  }

  @Test
  void hungWorkerThatStillLivesIsKilledAndReplaced() throws Exception {
    var config = TestPools.config().healthCheck(Duration.ofMillis(200), Duration.ofMillis(150)).build();
    try (var pit = Snakepit.start(config)) {
      long pid = pit.workerPids().getFirst();

      kill(pid, "STOP");

      Waiting.require("the hung worker to be replaced", BOUND,
          () -> pit.stats().unhealthyKills() == 1 && pit.stats().workers() == 1 && !pit.workerPids().contains(pid));
      assertThat(alive(pid)).isFalse();
      assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).isEqualTo(2);
    }
  }

  @Test
  void stuckSyncToolPastItsDeadlineGetsItsWorkerRecycledNotReused() {
    var config = TestPools.config().adapter("snakepit_test_adapters.stubborn.StubbornAdapter")
        .stuckCallGrace(Duration.ofMillis(300)).build();
    try (var pit = Snakepit.start(config)) {
      long stuckPid = pit.execute("pid").asLong();

      assertThatThrownBy(() -> pit.execute("block", Map.of("ms", 60_000), CallOptions.defaults().withTimeout(Duration.ofMillis(200))))
          .isInstanceOf(CallTimeoutException.class);

      // The next call must not land on the stuck worker: it waits for the replacement.
      assertThat(pit.execute("pid").asLong()).isNotEqualTo(stuckPid);
      assertThat(pit.stats().recycles()).isEqualTo(1);
      Waiting.require("the stuck worker to be stopped", BOUND, () -> !alive(stuckPid));
    }
  }

  @Test
  void cancelledAsyncCallLeavesItsWorkerInService() {
    try (var pit = Snakepit.start(TestPools.config().build())) {
      long pid = pit.workerPids().getFirst();

      assertThatThrownBy(() -> pit.execute("sleep", Map.of("ms", 60_000), CallOptions.defaults().withTimeout(Duration.ofMillis(200))))
          .isInstanceOf(CallTimeoutException.class);

      assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).isEqualTo(2);
      assertThat(pit.workerPids()).containsExactly(pid);
      assertThat(pit.stats().recycles()).isZero();
    }
  }

  @Test
  void recyclingByCallCountUnderConcurrentLoadCompletesEveryCall() {
    var config = TestPools.config().workers(2).maxCallsPerWorker(10).build();
    try (var pit = Snakepit.start(config)) {
      var calls = new ArrayList<CompletableFuture<ToolResult>>();
      for (int i = 0; i < 120; i++) {
        calls.add(pit.executeAsync("echo", Map.of("message", i)));
      }

      var servedBy = new HashSet<String>();
      for (int i = 0; i < calls.size(); i++) {
        var result = calls.get(i).join();
        assertThat(result.asLong()).isEqualTo(i);
        servedBy.add(result.workerId());
      }

      // An old worker keeps serving until its replacement is ready, so how many recycles happen
      // during the burst depends on timing; every worker reached its limit at least once.
      Waiting.require("both first-generation workers to be replaced", BOUND, () -> pit.stats().recycles() >= 2);
      assertThat(servedBy).contains("test-w1-g1", "test-w2-g1");
      assertThat(pit.stats().failedCalls()).isZero();
      assertThat(pit.stats().crashes()).isZero();
      Waiting.require("retired workers to stop", BOUND, () -> pit.stats().retiring() == 0);
      assertThat(pit.workerIds()).noneMatch(id -> id.endsWith("-g1"));
    }
  }

  @Test
  void workersAreRecycledByAge() {
    var config = TestPools.config().maxWorkerAge(Duration.ofMillis(500)).healthCheck(Duration.ofMillis(100), Duration.ofMillis(100)).build();
    try (var pit = Snakepit.start(config)) {
      long firstPid = pit.workerPids().getFirst();

      Waiting.require("an age-based recycle", BOUND, () -> pit.stats().recycles() >= 1 && !pit.workerPids().contains(firstPid));

      assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).isEqualTo(2);
      assertThat(pit.stats().crashes()).isZero();
    }
  }

  @Test
  void workersAreRecycledByResidentMemory() {
    // Every Python process uses more than 1 MiB, so the first check recycles.
    var config = TestPools.config().maxWorkerMemory(1024 * 1024).healthCheck(Duration.ofMillis(100), Duration.ofMillis(100)).build();
    try (var pit = Snakepit.start(config)) {
      long firstPid = pit.workerPids().getFirst();

      Waiting.require("a memory-based recycle", BOUND, () -> pit.stats().recycles() >= 1 && !pit.workerPids().contains(firstPid));
      assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).isEqualTo(2);
    }
  }

  @Test
  void crashStormOpensTheBreakerWithTheTracebackAndAStartClosesIt(@TempDir Path dir) throws Exception {
    var marker = dir.resolve("fail");
    var config = TestPools.config()
        .adapter("snakepit_test_adapters.broken.FailWhenMarkedAdapter")
        .workerEnvironment("SNAKEPIT_TEST_FAIL_MARKER", marker.toString())
        .restartBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .breakerThreshold(2)
        .build();
    try (var pit = Snakepit.start(config)) {
      Files.writeString(marker, "broken");
      kill(pit.workerPids().getFirst(), "KILL");

      Waiting.require("the breaker to open", BOUND, () -> pit.stats().breakerOpen());
      assertThatThrownBy(() -> pit.execute("ping"))
          .isInstanceOfSatisfying(PoolUnavailableException.class, e -> {
            assertThat(e.failedStarts()).isGreaterThanOrEqualTo(2);
            assertThat(e.getMessage()).contains("database unreachable", "Traceback");
            assertThat(e.getCause()).isInstanceOf(StartupFailedException.class);
          });

      Files.delete(marker);
      Waiting.require("the breaker to close", BOUND, () -> !pit.stats().breakerOpen() && pit.stats().workers() == 1);
      assertThat(pit.execute("ping").asText()).isEqualTo("pong");
    }
  }

  @Test
  void workersOfAJvmKilledWithSigkillExitByThemselves(@TempDir Path registry) throws Exception {
    var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // A private registry: pools of other test runs on the machine must not reap this JVM's leftovers first.
    var child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-Dsnakepit.repoRoot=" + System.getProperty("snakepit.repoRoot", ".."),
        "-Dsnakepit.registryDir=" + registry, PoolHolder.class.getName())
        .redirectErrorStream(true)
        .start();
    List<Long> pids;
    try (var out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.startsWith("PIDS "));
      assertThat(line).as("the child JVM's worker pids").isNotNull();
      pids = Arrays.stream(line.substring(5).trim().split(" ")).map(Long::parseLong).toList();
      assertThat(pids).hasSize(2).allSatisfy(pid -> assertThat(alive(pid)).isTrue());

      child.destroyForcibly().waitFor();

      Waiting.require("the orphaned workers to exit", Duration.ofSeconds(10), () -> pids.stream().noneMatch(LifecycleIntegrationTest::alive));
      // The killed JVM could not delete its run directory; the next pool to start reaps it.
      var childRunDirectory = "snakepit-test-" + child.pid() + "-";
      assertThat(runDirectoriesStartingWith(childRunDirectory)).isNotEmpty();
      System.setProperty("snakepit.registryDir", registry.toString());
      try (var next = Snakepit.start(TestPools.config().build())) {
        assertThat(runDirectoriesStartingWith(childRunDirectory)).isEmpty();
      }
    } finally {
      System.clearProperty("snakepit.registryDir");
      child.destroyForcibly();
    }
  }

  @Test
  void leftoverWorkersOfADeadInstanceAreKilledButNotThoseOfALiveOne(@TempDir Path registry) throws Exception {
    var python = dev.snakepit.SnakepitConfig.defaults().python().toString();
    var deadOwner = new ProcessBuilder("true").start();
    deadOwner.waitFor();
    var orphan = new ProcessBuilder(python, "-c", "import threading; threading.Event().wait()", "--snakepit-run-id", "dead-run").start();
    var other = new ProcessBuilder(python, "-c", "import threading; threading.Event().wait()", "--snakepit-run-id", "live-run").start();
    var self = ProcessHandle.current();
    try {
      Waiting.require("the stand-in workers to run", BOUND, () -> orphan.info().commandLine().isPresent() && other.info().commandLine().isPresent());
      writeRecord(registry, "dead-run", deadOwner.pid(), deadOwner.toHandle().info().startInstant().map(Object::toString).orElse("x"), orphan);
      writeRecord(registry, "live-run", self.pid(), self.info().startInstant().map(Object::toString).orElse(""), other);
      System.setProperty("snakepit.registryDir", registry.toString());

      try (var pit = Snakepit.start(TestPools.config().build())) {
        Waiting.require("the dead instance's worker to be killed", BOUND, () -> !orphan.isAlive());
        assertThat(other.isAlive()).as("a live instance's worker").isTrue();
        assertThat(registry.resolve("dead-run.json")).doesNotExist();
        assertThat(registry.resolve("live-run.json")).exists();
        assertThat(Files.list(registry).map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("test-"));
      }
      assertThat(Files.list(registry).map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("test-"));
    } finally {
      System.clearProperty("snakepit.registryDir");
      orphan.destroyForcibly().waitFor();
      other.destroyForcibly().waitFor();
    }
  }

  private static void writeRecord(Path registry, String runId, long ownerPid, String ownerStart, Process worker) throws Exception {
    var info = worker.toHandle().info();
    var record = Map.of("runId", runId, "ownerPid", ownerPid, "ownerStartedAt", ownerStart, "workers", List.of(Map.of(
        "workerId", runId + "-w1", "pid", worker.pid(),
        "startedAt", info.startInstant().map(Object::toString).orElseThrow(),
        "commandLine", info.commandLine().orElseThrow())));
    Files.write(registry.resolve(runId + ".json"), dev.snakepit.internal.codec.Json.write(record));
  }

  @Test
  void closeTakesDownProcessesThatToolsStarted() {
    long grandchild;
    try (var pit = Snakepit.start(TestPools.config().adapter("snakepit_test_adapters.stubborn.StubbornAdapter").build())) {
      grandchild = pit.execute("spawn_child").asLong();
      assertThat(alive(grandchild)).isTrue();
    }
    Waiting.require("the tool's child process to be gone", BOUND, () -> !alive(grandchild));
  }

  @Test
  void crashedWorkerTakesDownProcessesItsToolsStarted() throws Exception {
    try (var pit = Snakepit.start(TestPools.config().adapter("snakepit_test_adapters.stubborn.StubbornAdapter").build())) {
      long grandchild = pit.execute("spawn_child").asLong();

      pit.execute("block", Map.of("ms", 1), CallOptions.defaults());
      kill(pit.workerPids().getFirst(), "TERM");

      Waiting.require("the tool's child process to be gone", BOUND, () -> !alive(grandchild));
    }
  }
}
