package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.snakepit.testing.CapturedStderr;
import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Forked and spawned workers: both serve, forked ones come from the template, and neither outlives the JVM. */
@ExtendWith(LeakCheck.class)
class StartModeIntegrationTest {
  private static final Duration BOUND = Duration.ofSeconds(30);
  private static final long JVM = ProcessHandle.current().pid();

  @BeforeAll
  static void linuxOnly() {
    assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "workers fork on Linux only");
  }

  private static long parent(long pid) {
    return ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);
  }

  /** Whether {@code pid} still runs: an exited process its new parent has not reaped yet (a zombie) does not. */
  private static boolean alive(long pid) {
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return false;
    }
    try {
      var stat = java.nio.file.Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (java.io.IOException | RuntimeException e) {
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
  }

  /** What the processes still running are doing, for a failure message. */
  private static String describe(List<Long> pids) {
    var running = new StringBuilder();
    for (long pid : pids) {
      if (alive(pid)) {
        String stat;
        try {
          stat = java.nio.file.Files.readString(Path.of("/proc", Long.toString(pid), "stat")).trim();
        } catch (java.io.IOException e) {
          stat = "?";
        }
        running.append("\n  ").append(stat);
      }
    }
    return running.toString();
  }

  @Test
  void forkedWorkersAreChildrenOfOneTemplateAndServeCalls() {
    try (var pit = Snakepit.start(TestPools.config().workers(3).startMode(StartMode.FORK).build())) {
      var pids = pit.workerPids();
      var parents = pids.stream().map(StartModeIntegrationTest::parent).collect(Collectors.toSet());
      assertThat(parents).hasSize(1).doesNotContain(JVM);
      long template = parents.iterator().next();
      assertThat(parent(template)).as("the template is the JVM's child").isEqualTo(JVM);
      for (int i = 0; i < 6; i++) {
        assertThat(pit.execute("echo", Map.of("message", "hi " + i)).asText()).isEqualTo("hi " + i);
      }
    }
  }

  @Test
  void aForkedWorkerThatCrashesIsReplacedByAForkAndItsStderrTailIsItsOwn() {
    var stderr = new CapturedStderr();
    try (stderr; var pit = Snakepit.start(TestPools.config().startMode(StartMode.FORK).build())) {
      long victim = pit.workerPids().getFirst();
      long template = parent(victim);
      ProcessHandle.of(victim).orElseThrow().destroyForcibly();
      Waiting.require("a replacement", BOUND, () -> !pit.workerPids().isEmpty() && !pit.workerPids().contains(victim));
      assertThat(parent(pit.workerPids().getFirst())).as("forked again").isEqualTo(template);
      assertThat(pit.execute("echo", Map.of("message", "back")).asText()).isEqualTo("back");
    }
    assertThat(stderr.text()).contains("killed by signal 9").contains("listening on");
  }

  @Test
  void whenTheTemplateDiesItsWorkersAreReplacedAndTheTemplateComesBack() {
    try (var pit = Snakepit.start(TestPools.config().workers(2).startMode(StartMode.FORK)
        .restartBackoff(Duration.ofMillis(200), Duration.ofSeconds(1)).build())) {
      var before = pit.workerPids();
      long template = parent(before.getFirst());
      ProcessHandle.of(template).orElseThrow().destroyForcibly();
      Waiting.require("the old workers to exit with their template", BOUND, () -> before.stream().noneMatch(StartModeIntegrationTest::alive));
      Waiting.require("two replacements", BOUND, () -> pit.workerPids().size() == 2 && pit.workerPids().stream().noneMatch(before::contains));
      for (int i = 0; i < 4; i++) {
        assertThat(pit.execute("echo", Map.of("message", "still serving")).asText()).isEqualTo("still serving");
      }
      // A crash after the template is back is replaced by a fork again.
      Waiting.require("a new template", BOUND, () -> ProcessHandle.current().children()
          .anyMatch(p -> p.pid() != template && p.info().commandLine().orElse("").contains("snakepit_bridge.zygote")));
      long victim = pit.workerPids().getFirst();
      ProcessHandle.of(victim).orElseThrow().destroyForcibly();
      Waiting.require("a forked replacement", BOUND, () -> pit.workerPids().size() == 2 && !pit.workerPids().contains(victim)
          && pit.workerPids().stream().allMatch(pid -> alive(pid)));
      var fresh = pit.workerPids().stream().filter(pid -> !pid.equals(victim)).toList();
      assertThat(fresh).anySatisfy(pid -> assertThat(parent(pid)).isNotEqualTo(JVM));
    }
  }

  @Test
  void spawnModeSpawnsEveryWorkerFromTheJvm() {
    try (var pit = Snakepit.start(TestPools.config().workers(2).startMode(StartMode.SPAWN).build())) {
      assertThat(pit.workerPids()).allSatisfy(pid -> assertThat(parent(pid)).isEqualTo(JVM));
      assertThat(pit.execute("echo", Map.of("message", "spawned")).asText()).isEqualTo("spawned");
    }
  }

  @Test
  void autoSpawnsWithOneLineNamingTheReasonWhenTheTemplateHasThreads() {
    var stderr = new CapturedStderr();
    try (stderr; var pit = Snakepit.start(TestPools.config().adapter("zygote_threaded.ThreadedAdapter").build())) {
      assertThat(pit.workerPids()).allSatisfy(pid -> assertThat(parent(pid)).isEqualTo(JVM));
      assertThat(pit.execute("ping").asText()).isEqualTo("pong");
    }
    assertThat(stderr.text()).contains("workers are spawned, not forked").contains("import-time-thread");
  }

  @Test
  void forkModeFailsNamingTheReasonWhenForkingIsUnsafe() {
    assertThatThrownBy(() -> Snakepit.start(TestPools.config().adapter("zygote_threaded.ThreadedAdapter")
        .startMode(StartMode.FORK).build()))
        .isInstanceOf(StartupFailedException.class)
        .hasMessageContaining("start mode FORK")
        .hasMessageContaining("thread");
  }

  @Test
  void autoSpawnsWhenTheTemplateCannotImportTheAdapterAndTheWorkersReportTheError() {
    assertThatThrownBy(() -> Snakepit.start(TestPools.config().adapter("snakepit_test_adapters.import_error.Missing").build()))
        .isInstanceOf(StartupFailedException.class)
        .hasMessageContaining("exited with code 3");
  }

  @Test
  void snakepitCompatibleWorkerScriptsAreSpawned() {
    var script = TestPools.testPython().resolve("foreign_grpc_server.py");
    try (var pit = Snakepit.start(TestPools.config().workerScript(script).build())) {
      assertThat(pit.workerPids()).allSatisfy(pid -> assertThat(parent(pid)).isEqualTo(JVM));
    }
  }

  @ParameterizedTest
  @EnumSource(value = StartMode.class, names = {"FORK", "SPAWN"})
  void workersOfAJvmKilledWithSigkillExitByThemselves(StartMode mode, @TempDir Path registry) throws Exception {
    var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-Dsnakepit.repoRoot=" + System.getProperty("snakepit.repoRoot", ".."), "-Dsnakepit.registryDir=" + registry,
        Holder.class.getName(), mode.name())
        .redirectErrorStream(true)
        .start();
    var pids = new ArrayList<Long>();
    try (var out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.startsWith("PIDS "));
      assertThat(line).as("the child JVM's worker pids").isNotNull();
      Arrays.stream(line.substring(5).trim().split(" ")).map(Long::parseLong).forEach(pids::add);
      if (mode == StartMode.FORK) {
        long template = parent(pids.getFirst());
        assertThat(parent(template)).as("the template is the child JVM's child").isEqualTo(child.pid());
        pids.add(template);
      }
      assertThat(pids).allSatisfy(pid -> assertThat(alive(pid)).isTrue());

      child.destroyForcibly().waitFor();

      // Workers exit within ~2 s of the JVM dying (pdeathsig, parent watch); the bound leaves room for a loaded CI machine.
      try {
        Waiting.require("the orphaned workers (and template) to exit", Duration.ofSeconds(10),
            () -> pids.stream().noneMatch(StartModeIntegrationTest::alive));
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; still running:" + describe(pids), e);
      }
    } finally {
      child.destroyForcibly();
      pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  /** Run in a child JVM: a pool in the start mode given as the argument; prints the worker pids. */
  public static final class Holder {
    private Holder() {}

    public static void main(String[] args) throws Exception {
      var pit = Snakepit.start(TestPools.config().workers(2).startMode(StartMode.valueOf(args[0])).build());
      System.out.println("PIDS " + pit.workerPids().stream().map(String::valueOf).collect(Collectors.joining(" ")));
      System.out.flush();
      System.in.read();
      pit.close();
    }
  }
}
