package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code snakepit soak} and {@code snakepit chaos --load}, short runs of the long modes. */
@ExtendWith(SnakepitLeakCheck.class)
class SoakCommandTest {
  private static final String FIGURES = "soak: calls (\\d+), errors (\\d+), jvm heap growth (-?[\\d.]+)%, worker rss growth (-?[\\d.]+)%,"
      + " threads ([+-]\\d+), fds ([+-]\\d+), leaked processes (\\d+)";

  @Test
  void shortSoakEndsWithOneLineOfFiguresAndNoErrorOrLeak() {
    var run = Cli.run("soak", "--duration", "20s", "--warmup", "5s", "--workers", "2", "--concurrency", "4");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outLines()).as(run.toString()).hasSize(1);
    var line = run.outLines().getFirst();
    assertThat(line).matches(FIGURES);
    var figures = java.util.regex.Pattern.compile(FIGURES).matcher(line);
    assertThat(figures.matches()).isTrue();
    assertThat(Long.parseLong(figures.group(1))).as("calls").isPositive();
    assertThat(figures.group(2)).as("errors").isEqualTo("0");
    assertThat(figures.group(7)).as("leaked processes").isEqualTo("0");
  }

  @Test
  void shouldRejectAWarmupAsLongAsTheRun() {
    var run = Cli.run("soak", "--duration", "5s", "--warmup", "5s");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--warmup").contains("--duration");
  }

  @Test
  void loadModeBringsEveryCountBackToZero() {
    var run = Cli.run("chaos", "--load", "--callers", "200", "--duration", "10s", "--workers", "2", "--concurrency", "4");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).contains("counts at rest           yes (busy 0, queued 0, sessions 0)")
        .contains("untyped failures         0").contains("leaked processes         0")
        .containsPattern("calls cancelled\\s+[1-9]").containsPattern("calls timed out\\s+[1-9]");
  }
}
