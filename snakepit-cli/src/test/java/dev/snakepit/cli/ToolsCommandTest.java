package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code snakepit tools} against real workers of the showcase adapter. */
@ExtendWith(SnakepitLeakCheck.class)
class ToolsCommandTest {

  @Test
  void shouldListAddWithItsParametersAsJson() {
    var run = Cli.run("tools", "--json");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    var add = tool(run.outJson(), "add");
    assertThat(add.path("description").asText()).isNotBlank();
    assertThat(add.path("streaming").asBoolean()).isFalse();
    assertThat(add.path("parameters")).hasSize(2);
    var a = add.path("parameters").get(0);
    assertThat(a.path("name").asText()).isEqualTo("a");
    assertThat(a.path("type").asText()).isEqualTo("float");
    assertThat(a.path("required").asBoolean()).isTrue();
    assertThat(a.has("default")).isFalse();
    assertThat(a.path("description").asText()).isEqualTo("first addend.");
  }

  @Test
  void shouldGiveDefaultsAsJsonValuesAndMarkStreamingTools() {
    var stream = tool(Cli.run("tools", "--json").outJson(), "stream_progress");

    assertThat(stream.path("streaming").asBoolean()).isTrue();
    var steps = stream.path("parameters").get(0);
    assertThat(steps.path("name").asText()).isEqualTo("steps");
    assertThat(steps.path("required").asBoolean()).isFalse();
    assertThat(steps.path("default").isInt()).isTrue();
    assertThat(steps.path("default").asInt()).isEqualTo(5);
  }

  @Test
  void shouldPrintAReadableTableByDefault() {
    var run = Cli.run("tools");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).contains("tools from snakepit_bridge.adapters.showcase.ShowcaseAdapter");
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).startsWith("add ").contains("Add two numbers"));
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).matches("\\s+a\\s+float\\s+required\\s+first addend\\."));
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).matches("\\s+steps\\s+int\\s+= 5\\s+.*"));
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).startsWith("stream_progress").endsWith("[streaming]"));
  }

  @Test
  void shouldExitOneWhenTheAdapterCannotBeImported() {
    var run = Cli.run("tools", "--adapter", "no_such_module.NoAdapter", "--startup-timeout", "20s");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.err()).contains("no_such_module");
  }

  private static JsonNode tool(JsonNode tools, String name) {
    return StreamSupport.stream(tools.spliterator(), false)
        .filter(t -> t.path("name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no tool '" + name + "' in " + tools));
  }
}
