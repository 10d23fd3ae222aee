package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code snakepit chaos --standalone}: real standalone worker processes, really killed, paused and restarted. */
@ExtendWith(SnakepitLeakCheck.class)
class RemoteChaosCommandTest {

  @Test
  @Timeout(180)
  void shouldLoseNoCallAndLeakNoProcessWhileStandaloneWorkersAreKilledAndPartitioned() {
    var run = Cli.run("chaos", "--standalone", "--partition", "--workers", "2", "--duration", "6s",
        "--kill-every", "700ms", "--concurrency", "4");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).as(run.toString())
        .contains("calls lost               0", "leaked processes         0")
        .containsPattern("workers killed\\s+[1-9]")
        .containsPattern("calls ok\\s+[1-9]")
        .containsPattern("sessions WORKER_LOST\\s+\\d+ of [1-9]");
    assertThat(ProcessHandle.current().children().filter(p -> p.info().commandLine().orElse("")
        .contains("snakepit_bridge.server")).toList()).as("standalone workers still running").isEmpty();
  }

  @Test
  void shouldRejectRemoteEndpointsWithStandalone() {
    var run = Cli.run("chaos", "--standalone", "--remote", "127.0.0.1:1", "--duration", "1s");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).contains("--standalone starts its own workers");
  }

  @Test
  void shouldRejectPartitionWithoutStandalone() {
    var run = Cli.run("chaos", "--partition", "--calls", "1");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).contains("--partition goes with --standalone");
  }
}
