package dev.snakepit.internal.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A forked worker's exit as the pool sees it: the process handle may notice the exit before the
 * template reports the code, and a caller that saw {@code isAlive() == false} must then get the
 * code, not an exception (a CI run lost a worker's traceback to that race).
 */
class ForkedProcessTest {
  @Test
  void exitValueOfAWorkerTheHandleSawDieWaitsForTheTemplatesReport() throws Exception {
    var forked = new ForkedProcess("w1");
    forked.attach(exitedPid());
    assertThat(forked.isAlive()).isFalse();

    var report = CompletableFuture.runAsync(() -> forked.exited(3));
    assertThat(forked.exitValue()).isEqualTo(3);
    report.get(5, TimeUnit.SECONDS);
  }

  @Test
  void exitValueIsUnknownWhenTheTemplateNeverReportsTheExit() throws Exception {
    var forked = new ForkedProcess("w1");
    forked.attach(exitedPid());

    assertThat(forked.exitValue()).isEqualTo(ForkedProcess.UNKNOWN_EXIT);
  }

  @Test
  void exitValueOfARunningWorkerIsRefused() throws Exception {
    var running = new ProcessBuilder("sleep", "30").start();
    try {
      var forked = new ForkedProcess("w1");
      forked.attach(running.pid());
      assertThat(forked.isAlive()).isTrue();
      assertThatThrownBy(forked::exitValue).isInstanceOf(IllegalThreadStateException.class)
          .hasMessageContaining("w1").hasMessageContaining("has not exited");
    } finally {
      running.destroyForcibly().waitFor();
    }
  }

  private static long exitedPid() throws Exception {
    var process = new ProcessBuilder("true").start();
    process.waitFor();
    return process.pid();
  }
}
