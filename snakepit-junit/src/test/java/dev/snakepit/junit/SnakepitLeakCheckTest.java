package dev.snakepit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedSuccessfully;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** Runs small test classes through the Jupiter engine and checks that leaks fail them, and only leaks do. */
@ExtendWith(SnakepitLeakCheck.class)
class SnakepitLeakCheckTest {
  private String previousTimeout;

  @BeforeEach
  void shortenTheLeakTimeout() {
    previousTimeout = System.setProperty(SnakepitLeakCheck.TIMEOUT_PROPERTY, "300");
  }

  @AfterEach
  void restoreTheLeakTimeout() {
    if (previousTimeout == null) {
      System.clearProperty(SnakepitLeakCheck.TIMEOUT_PROPERTY);
    } else {
      System.setProperty(SnakepitLeakCheck.TIMEOUT_PROPERTY, previousTimeout);
    }
  }

  private static Events run(Class<?> fixture) {
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture)).execute().containerEvents();
  }

  @Test
  void aClassThatClosesEverythingPasses() {
    run(Clean.class).assertThatEvents().haveExactly(1, event(container(Clean.class), finishedSuccessfully()));
  }

  @Test
  void aPoolLeftOpenFailsTheClassNamingItsWorkerProcessAndThreads() {
    try {
      run(ForgottenPool.class).assertThatEvents().haveExactly(1, event(container(ForgottenPool.class),
          finishedWithFailure(instanceOf(AssertionError.class),
              message(m -> m.contains("left Snakepit resources running") && m.contains("snakepit_bridge.server")
                  && m.contains("thread snakepit-forgotten-")))));
    } finally {
      ForgottenPool.leaked.close();
    }
  }

  @Test
  void aStrayPythonProcessFailsTheClassAndIsKilled() throws Exception {
    run(StrayProcess.class).assertThatEvents().haveExactly(1, event(container(StrayProcess.class),
        finishedWithFailure(instanceOf(AssertionError.class), message(m -> m.contains("process " + StrayProcess.stray.pid())))));
    assertThat(StrayProcess.stray.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).as("the stray process was killed").isTrue();
  }

  // ---- fixtures: run only through EngineTestKit (nested classes are not picked up by Surefire) ----

  @SnakepitTest(poolName = "clean")
  static class Clean {
    @Test
    void usesThePool(Snakepit pit) {
      assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).asLong()).isEqualTo(2);
    }
  }

  @SnakepitTest(poolName = "outer")
  static class ForgottenPool {
    static Snakepit leaked;

    @Test
    void startsAPoolAndNeverClosesIt() {
      leaked = Snakepit.start(SnakepitConfig.builder().poolName("forgotten").workers(1).build());
    }
  }

  @ExtendWith(SnakepitLeakCheck.class)
  static class StrayProcess {
    static Process stray;

    @Test
    void startsAPythonProcessAndForgetsIt() throws IOException {
      var python = SnakepitConfig.defaults().python().toString();
      stray = new ProcessBuilder(python, "-c", "import time; time.sleep(120)").start();
    }
  }
}
