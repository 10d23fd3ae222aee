package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code snakepit manifest} and {@code --check} against real adapter modules: a saved manifest of
 * version 1, then one changed module per kind of change.
 */
class ManifestCommandTest {
  private static final String V1 = """
      from collections.abc import Iterator

      from snakepit_bridge import BaseAdapter, tool


      class Checked(BaseAdapter):
          @tool
          def add(self, a: int, b: int = 1) -> int:
              return a + b

          @tool
          def ticks(self, n: int) -> Iterator[int]:
              yield from range(n)

          @tool
          def gone(self) -> None:
              pass
      """;

  @TempDir
  static Path saved;

  @BeforeAll
  static void saveVersionOne() throws Exception {
    Files.createDirectories(saved.resolve("v1"));
    Files.writeString(saved.resolve("v1/checked_adapter.py"), V1);
    var run = Cli.run("manifest", "--adapter", "checked_adapter.Checked", "--pythonpath", saved.resolve("v1").toString(),
        "-o", saved.resolve("v1.json").toString());
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).isEqualTo("wrote " + saved.resolve("v1.json") + " (3 tools of checked_adapter.Checked)\n");
  }

  private static Cli.Run check(Path dir, String source) throws Exception {
    Files.writeString(dir.resolve("checked_adapter.py"), source);
    return Cli.run("manifest", "--check", saved.resolve("v1.json").toString(), "--adapter", "checked_adapter.Checked",
        "--pythonpath", dir.toString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      tool removed               | '    @tool\n    def gone(self) -> None:\n        pass\n'        | ''                                                  | BREAKING tool 'gone': tool removed
      parameter removed          | 'def add(self, a: int, b: int = 1)'                             | 'def add(self, a: int)'                             | BREAKING tool 'add' parameter 'b': parameter removed
      parameter renamed          | 'def add(self, a: int, b: int = 1)'                             | 'def add(self, x: int, b: int = 1)'                 | BREAKING tool 'add' parameter 'a': renamed to 'x'
      type narrowed              | 'def add(self, a: int, b: int = 1)'                             | 'def add(self, a: int, b: bool = True)'             | BREAKING tool 'add' parameter 'b': type narrowed from int to bool
      new required parameter     | 'def add(self, a: int, b: int = 1)'                             | 'def add(self, a: int, c: str, b: int = 1)'         | BREAKING tool 'add' parameter 'c': new required parameter (str)
      streaming flag changed     | 'def ticks(self, n: int) -> Iterator[int]:\n        yield from range(n)' | 'def ticks(self, n: int) -> list[int]:\n        return list(range(n))' | BREAKING tool 'ticks': streaming flag changed from true to false
      return type changed        | 'def add(self, a: int, b: int = 1) -> int'                      | 'def add(self, a: int, b: int = 1) -> float'        | BREAKING tool 'add': return type changed from int to float
      """)
  void shouldExitOneNamingEachKindOfBreakingChange(String kind, String from, String to, String expected, @TempDir Path dir)
      throws Exception {
    var source = V1.replace(from.replace("\\n", "\n"), to.replace("\\n", "\n"));
    assertThat(source).as("the test changes the module").isNotEqualTo(V1);

    var run = check(dir, source);

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.outLines()).first().isEqualTo(expected);
    assertThat(run.outLines()).last().asString().endsWith("against " + saved.resolve("v1.json"));
  }

  @Test
  void shouldExitZeroListingCompatibleChangesAsInformation(@TempDir Path dir) throws Exception {
    var run = check(dir, V1.replace("def add(self, a: int, b: int = 1)", "def add(self, a: float, b: int = 1, c: int = 0)")
        .replace("    @tool\n    def gone", "    @tool\n    def extra(self) -> str:\n        return ''\n\n    @tool\n    def gone"));

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outLines()).containsExactly(
        "INFO tool 'add' parameter 'a': type widened from int to float",
        "INFO tool 'add' parameter 'c': new optional parameter (int)",
        "INFO tool 'extra': new tool",
        "compatible with " + saved.resolve("v1.json"));
  }

  @Test
  void shouldPrintTheManifestAsJson() {
    var run = Cli.run("manifest", "--adapter", TypedClientTest.SAMPLE);

    assertThat(run.exitCode()).as(run.toString()).isZero();
    var manifest = run.outJson();
    assertThat(manifest.path("format").asText()).isEqualTo("snakepit-manifest/1");
    assertThat(manifest.path("adapter").path("version").asText()).isEqualTo("1.0.0");
    assertThat(manifest.path("tools").get(0).path("name").asText()).isEqualTo("greet");
    assertThat(manifest.path("types").path("Point").path("source").asText()).isEqualTo("dataclass");
  }

  @Test
  void shouldExitOneWhenTheAdapterCannotBeImported() {
    var run = Cli.run("manifest", "--adapter", "no_such_module.Adapter");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith("snakepit manifest: cannot describe adapter no_such_module.Adapter: cannot import adapter module 'no_such_module'");
  }

  @Test
  void shouldExitOneWhenTheSavedManifestIsMissing(@TempDir Path dir) {
    var run = Cli.run("manifest", "--check", dir.resolve("none.json").toString(), "--adapter", TypedClientTest.SAMPLE);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("no manifest file");
  }
}
