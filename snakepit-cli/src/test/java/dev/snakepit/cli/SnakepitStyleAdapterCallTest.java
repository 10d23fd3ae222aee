package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.junit.SnakepitLeakCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code snakepit call} on an adapter written in Snakepit 0.13's style (src/test/python/snakepit_style_cli). */
@ExtendWith(SnakepitLeakCheck.class)
class SnakepitStyleAdapterCallTest {
  private static final String PYTHONPATH = Path.of("src/test/python").toAbsolutePath().toString();

  private static Cli.Run call(String... args) {
    var command = new ArrayList<>(List.of("call"));
    command.addAll(List.of(args));
    command.addAll(List.of("--adapter", "snakepit_style_cli.HandlerStyleAdapter", "--pythonpath", PYTHONPATH, "--compact",
        // gRPC: the lane does not yet list tools an adapter serves through an execute_tool override (open in #10).
        "--transport", "grpc"));
    return Cli.run(command.toArray(String[]::new));
  }

  @Test
  void shouldRunAHandlerToolThroughAnExecuteToolOverride() {
    var run = call("multiply", "a=6", "b=7");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outJson().asDouble()).isEqualTo(42.0);
  }

  @Test
  void shouldGiveTheToolItsCorrelationIdAndSession() {
    var run = call("traced");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outJson().path("has_correlation_id").asBoolean()).as(run.toString()).isTrue();
  }

  @Test
  void shouldDeliverOddObjectsGracefullyAndSpecialFloatsAsDoubles() {
    var run = call("odd_objects");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    var result = run.outJson();
    assertThat(result.path("day").asText()).isEqualTo("2026-01-02");
    assertThat(result.path("receipt").path("total").asInt()).isEqualTo(7);
    assertThat(result.path("thing").path("__ffi_unserializable__").asBoolean()).isTrue();
    assertThat(result.path("thing").path("__type__").asText()).isEqualTo("snakepit_style_cli.Unprintable");
    assertThat(result.path("nan").asText()).isEqualTo("NaN");
    assertThat(result.path("inf").asText()).isEqualTo("Infinity");
  }

  @Test
  void shouldRunSnakepitsShowcaseToolsOnTheDefaultShowcase() {
    var run = Cli.run("call", "increment_counter", "--compact");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outJson().path("value").asInt()).isEqualTo(1);
  }
}
