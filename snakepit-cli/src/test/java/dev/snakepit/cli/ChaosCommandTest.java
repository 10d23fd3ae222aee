package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code snakepit chaos}: real workers, really killed. */
@ExtendWith(SnakepitLeakCheck.class)
class ChaosCommandTest {

  @Test
  void shouldLoseNoCallAndLeakNoProcessWhileWorkersAreKilled() {
    var run = Cli.run("chaos", "--calls", "120", "--workers", "2", "--kill-every", "150ms", "--concurrency", "8");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).contains("calls lost               0", "leaked processes         0");
    assertThat(run.out()).containsPattern("workers killed\\s+[1-9]");
  }

  @Test
  void shouldLoseNoIdempotentCall() {
    var run = Cli.run("chaos", "--calls", "80", "--workers", "2", "--kill-every", "200ms", "--idempotent");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).contains("calls lost               0", "leaked processes         0");
  }

  @Test
  void shouldRejectNonPositiveCounts() {
    assertThat(Cli.run("chaos", "--calls", "0").exitCode()).isEqualTo(2);
  }
}
