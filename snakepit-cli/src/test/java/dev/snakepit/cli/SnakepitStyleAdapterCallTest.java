package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.junit.SnakepitLeakCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code snakepit call} on an adapter written in Snakepit 0.13's style (src/test/python/snakepit_style_cli). */
@ExtendWith(SnakepitLeakCheck.class)
class SnakepitStyleAdapterCallTest {
  private static final String PYTHONPATH = Path.of("src/test/python").toAbsolutePath().toString();

  private static Cli.Run call(String transport, String... args) {
    var command = new ArrayList<>(List.of("call"));
    command.addAll(List.of(args));
    command.addAll(List.of("--adapter", "snakepit_style_cli.HandlerStyleAdapter", "--pythonpath", PYTHONPATH, "--compact",
        "--transport", transport));
    return Cli.run(command.toArray(String[]::new));
  }

  @ParameterizedTest
  @ValueSource(strings = {"lane", "grpc"})
  void shouldRunAHandlerToolThroughAnExecuteToolOverride(String transport) {
    var run = call(transport, "multiply", "a=6", "b=7");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outJson().asDouble()).isEqualTo(42.0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"lane", "grpc"})
  void shouldGiveTheToolItsCorrelationIdAndSession(String transport) {
    var run = call(transport, "traced");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outJson().path("has_correlation_id").asBoolean()).as(run.toString()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"lane", "grpc"})
  void shouldDeliverOddObjectsGracefullyAndSpecialFloatsAsDoubles(String transport) {
    var run = call(transport, "odd_objects");

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
