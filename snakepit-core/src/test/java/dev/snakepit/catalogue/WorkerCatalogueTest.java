package dev.snakepit.catalogue;

import static dev.snakepit.catalogue.Catalogue.BOUND;
import static dev.snakepit.catalogue.Catalogue.fails;
import static dev.snakepit.catalogue.Catalogue.servesNextCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.PythonException;
import dev.snakepit.Snakepit;
import dev.snakepit.StreamChunk;
import dev.snakepit.WorkerCrashedException;
import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testsupport.Waiting;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Python tools that misbehave (results JSON cannot hold, generators that raise, processes that exit
 * or die by a signal): each surfaces as a typed error naming the tool, and the pool goes on.
 */
@ExtendWith(LeakCheck.class)
class WorkerCatalogueTest {
  private static Snakepit pit;

  @BeforeAll
  static void startPool() {
    // The transport under test (TestPools): the build runs this catalogue on the lane and on gRPC.
    pit = Snakepit.start(Catalogue.hostilePool().maxMessageSize(1 << 20)
        .restartBackoff(java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(100))
        .breakerThreshold(50).build());
  }

  @AfterAll
  static void closePool() {
    pit.close();
  }

  @AfterEach
  void poolServesTheNextCall() {
    Waiting.require("a live worker", BOUND, () -> pit.stats().workers() == 1 && pit.stats().starting() == 0);
    servesNextCall(pit);
  }

  /*
   * Snakepit 0.13 compatibility (python/README.md, "Results JSON cannot hold"): an object without a
   * JSON form becomes Snakepit's marker naming its type instead of failing the call, and NaN and the
   * infinities reach Java as doubles. What JSON cannot hold at all still fails with a typed error.
   */
  @Test
  void unencodableResultBecomesSnakepitsMarkerNamingItsType() {
    var result = pit.execute("unencodable", Map.of());
    assertThat(result.json()).contains("\"__ffi_unserializable__\":true").contains("builtins.object");
  }

  @Test
  void resultWithKeysJsonCannotHoldNamesItsTypeAndWhatToReturn() {
    fails(() -> pit.execute("tuple_keys", Map.of()), PythonException.class, "tuple_keys", "dict", "Return JSON types");
  }

  @Test
  void nanResultArrivesAsADouble() {
    assertThat(pit.execute("nan", Map.of()).asDouble()).isNaN();
  }

  @Test
  void cyclicResultIsRefusedNotARecursion() {
    fails(() -> pit.execute("cyclic", Map.of()), PythonException.class, "cyclic", "circular");
  }

  @Test
  void deeplyNestedResultIsATypedError() {
    fails(() -> pit.execute("nested", Map.of("levels", 100_000)), PythonException.class, "nested");
  }

  @Test
  void resultOverTheMessageLimitNamesTheLimit() {
    fails(() -> pit.execute("big", Map.of("size", 4 << 20)), PayloadTooLargeException.class, "big");
  }

  @Test
  void binaryResultOverTheMessageLimitNamesTheLimit() {
    fails(() -> pit.execute("big_bytes", Map.of("size", 4 << 20)), PayloadTooLargeException.class, "big_bytes");
  }

  @Test
  void generatorRaisingMidwayDeliversTheChunksThenTheError() {
    var chunks = new ArrayList<StreamChunk>();
    var error = fails(() -> {
      try (var stream = pit.stream("fail_midway", Map.of("after", 2))) {
        stream.forEachRemaining(chunks::add);
      }
    }, PythonException.class, "fail_midway", "after 2 items");
    assertThat(chunks).hasSize(2);
    assertThat(((PythonException) error).pythonType()).isEqualTo("RuntimeError");
  }

  @Test
  void systemExitInAToolIsAnErrorOfTheCallNotOfTheWorker() {
    long pid = pit.execute("pid", Map.of()).asLong();
    fails(() -> pit.execute("system_exit", Map.of("code", 4)), PythonException.class, "system_exit", "SystemExit(4)",
        "raise an exception instead");
    assertThat(pit.execute("pid", Map.of()).asLong()).as("the same worker serves on").isEqualTo(pid);
  }

  @Test
  void keyboardInterruptInAToolIsAnErrorOfTheCall() {
    fails(() -> pit.execute("interrupt", Map.of()), PythonException.class, "interrupt", "KeyboardInterrupt");
  }

  @Test
  void systemExitInsideAGeneratorFailsTheStreamNotTheWorker() {
    long pid = pit.execute("pid", Map.of()).asLong();
    fails(() -> {
      try (var stream = pit.stream("exit_midway", Map.of())) {
        stream.forEachRemaining(chunk -> {});
      }
    }, PythonException.class, "exit_midway", "SystemExit");
    assertThat(pit.execute("pid", Map.of()).asLong()).isEqualTo(pid);
  }

  @Test
  void toolExitingTheProcessIsACrashWithTheExitCode() {
    var error = fails(() -> pit.execute("exit_process", Map.of("code", 3)), WorkerCrashedException.class,
        "exit_process", "exited with code 3");
    assertThat(error.exitCode()).hasValue(3);
  }

  @Test
  void toolKillingItsProcessIsACrashWithTheSignal() {
    var error = fails(() -> pit.execute("kill_self", Map.of("signum", 9)), WorkerCrashedException.class,
        "kill_self", "SIGKILL");
    assertThat(error.signal()).hasValue(9);
  }

  @Test
  void segfaultIsACrashCarryingThePythonStack() {
    var error = fails(() -> pit.execute("segfault", Map.of()), WorkerCrashedException.class, "segfault", "SIGSEGV");
    assertThat(error.signal()).hasValue(11);
    // faulthandler's dump of the crashing thread, with the tool's frame.
    assertThat(error.stderrTail()).contains("Fatal Python error: Segmentation fault").contains("in string_at").contains("in segfault");
    assertThat(error.getMessage()).contains("hostile.py");
  }

  @Test
  void abortIsACrashCarryingThePythonStack() {
    var error = fails(() -> pit.execute("abort", Map.of()), WorkerCrashedException.class, "abort", "SIGABRT");
    assertThat(error.signal()).hasValue(6);
    assertThat(error.stderrTail()).contains("Fatal Python error: Aborted").contains("in abort");
  }
}
