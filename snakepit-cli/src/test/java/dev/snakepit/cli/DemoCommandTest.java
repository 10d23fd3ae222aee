package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code snakepit demo}, shortened (1 MiB, 3 chunks), against real workers. */
@ExtendWith(SnakepitLeakCheck.class)
class DemoCommandTest {

  @Test
  void shouldPassEveryStepAndExitZero() {
    var run = Cli.run("demo", "--binary-mib", "1", "--stream-steps", "3");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).doesNotContain("✗");
    for (var step : new String[] {"start pool", "ping", "echo", "add", "adapter_info", "process_text", "stream",
        "echo_bytes", "parallel", "python error", "timeout", "recovery"}) {
      assertThat(run.outLines()).as(step).anySatisfy(line -> assertThat(line).startsWith(" ✓ " + step + " "));
    }
    assertThat(run.out()).contains("2 + 2 = 4", "SHA-256 matches", "ValueError: the demo asked for this",
        "All 12 steps passed");
  }

  @Test
  void shouldPrintOnePlainProgressLinePerChunkWhenNotATerminal() {
    var run = Cli.run("demo", "--binary-mib", "1", "--stream-steps", "3", "--workers", "1");

    assertThat(run.out()).doesNotContain("\r", "\u001b[");
    assertThat(run.outLines()).filteredOn(line -> line.contains("step ") && line.contains(" of 3")).hasSize(3);
  }

  @Test
  void shouldRedrawOneProgressLineInPlaceOnATerminal() {
    var run = Cli.runOn(new Terminal(true, false), "demo", "--binary-mib", "1", "--stream-steps", "3", "--workers", "1");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    // Split on \n only: String.lines() would also split at the carriage returns under test.
    var streamLine = Arrays.stream(run.out().split("\n")).filter(line -> line.contains("step 1 of 3")).findFirst().orElseThrow();
    assertThat(streamLine).as("all progress updates on one line, each starting with a carriage return")
        .contains("step 2 of 3", "step 3 of 3")
        .contains("\r\u001b[K ✓ stream ");
    assertThat(run.out()).doesNotContain("\u001b[3", "\u001b[1m");
  }

  @Test
  void shouldRejectAnOversizedBinaryStepAsUsageError() {
    assertThat(Cli.run("demo", "--binary-mib", "1000").exitCode()).isEqualTo(2);
  }
}
