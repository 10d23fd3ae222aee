package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.junit.SnakepitLeakCheck;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code snakepit codegen}: the generated client compiles and calls real workers of the sample adapter. */
@ExtendWith(SnakepitLeakCheck.class)
class TypedClientTest {
  static final String SAMPLE = "snakepit_bridge.tooling.sample.SampleAdapter";

  /** Uses the generated interface as an application would; compiled with it, so its types are checked. */
  private static final String DRIVER = """
      package gen.sample;

      import dev.snakepit.Snakepit;
      import java.util.ArrayList;
      import java.util.List;
      import java.util.Optional;
      import java.util.function.Function;

      public final class Driver implements Function<Snakepit, List<String>> {
        @Override
        public List<String> apply(Snakepit pit) {
          SampleAdapter client = pit.client(SampleAdapter.class);
          List<String> out = new ArrayList<>();
          out.add(client.greet("Ada"));
          out.add(client.greet("Ada", Optional.of(true)));
          long sum = client.add(2, 3);
          out.add(Long.toString(sum));
          out.add(client.scale(List.of(1.0, 2.5)).toString());
          out.add(client.wordCounts("a b a").toString());
          out.add(client.convert("MiXed", Optional.of(SampleAdapter.ConvertMode.LOWER)));
          SampleAdapter.Point moved = client.move(new SampleAdapter.Point(1.0, 2.0, "p"), Optional.of(1.5), Optional.empty());
          out.add(moved.toString());
          out.add(client.stats(List.of(1.0, 3.0)).toString());
          out.add(client.findLabel(List.of(moved), "p").map(SampleAdapter.Point::label).orElse("none")
              + "/" + client.findLabel(List.of(moved), "q").isPresent());
          out.add(client.checksum("abc".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
          try (var chunks = client.countUp(3)) {
            out.add(chunks.toList().toString());
          }
          out.add(client.addAsync(40, 2).join().toString());
          out.add(client.countUpAsync(2).join().toString());
          try (var session = pit.session()) {
            out.add(Long.toString(session.client(SampleAdapter.class).add(1, 1)));
          }
          return out;
        }
      }
      """;

  @Test
  void shouldGenerateAClientThatCompilesAndCallsRealWorkers(@TempDir Path dir) throws Exception {
    var sources = dir.resolve("src");
    var run = Cli.run("codegen", "--adapter", SAMPLE, "--package", "gen.sample", "--out", sources.toString());
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).contains("wrote " + sources.resolve("gen/sample/SampleAdapter.java"));
    Files.writeString(sources.resolve("gen/sample/Driver.java"), DRIVER);

    var classes = Files.createDirectories(dir.resolve("classes"));
    Compiler.compile(sources, classes);

    try (var loader = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()}, getClass().getClassLoader());
        var pit = Snakepit.start(SnakepitConfig.builder().adapter(SAMPLE).workers(1).poolName("codegen").build())) {
      @SuppressWarnings("unchecked")
      var driver = (Function<Snakepit, List<String>>) loader.loadClass("gen.sample.Driver").getConstructor().newInstance();

      assertThat(driver.apply(pit)).containsExactly(
          "Hello, Ada.",
          "Hello, Ada!",
          "5",
          "[2.0, 5.0]",
          "{a=2, b=1}",
          "mixed",
          "Point[x=2.5, y=2.0, label=p]",
          "Stats[count=2, mean=2.0, largest=3.0]",
          "p/false",
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
          "[1, 2, 3]",
          "42",
          "[1, 2]",
          "2");
    }
  }

  @Test
  void shouldGenerateTheSameSourceFromASavedManifest(@TempDir Path dir) throws Exception {
    var manifest = dir.resolve("sample.json");
    assertThat(Cli.run("manifest", "--adapter", SAMPLE, "-o", manifest.toString()).exitCode()).isZero();

    var fromFile = Cli.run("codegen", "--manifest", manifest.toString(), "--package", "p", "--out", dir.resolve("a").toString(),
        "--class", "Sample");
    var live = Cli.run("codegen", "--adapter", SAMPLE, "--package", "p", "--out", dir.resolve("b").toString(), "--class", "Sample");

    assertThat(fromFile.exitCode()).as(fromFile.toString()).isZero();
    assertThat(live.exitCode()).as(live.toString()).isZero();
    assertThat(dir.resolve("a/p/Sample.java")).hasSameTextualContentAs(dir.resolve("b/p/Sample.java"));
  }

  @Test
  void shouldRefuseBothAManifestAndAnAdapter(@TempDir Path dir) {
    var run = Cli.run("codegen", "--manifest", "m.json", "--adapter", SAMPLE, "--package", "p", "--out", dir.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("either --manifest or --adapter");
  }

  interface NotAClient {
    long add(long a, long b);
  }

  @Test
  void shouldRejectAnInterfaceWithoutToolAnnotationsNamingTheMethod() {
    try (var pit = Snakepit.start(SnakepitConfig.builder().adapter(SAMPLE).workers(1).poolName("codegen").build())) {
      assertThatThrownBy(() -> pit.client(NotAClient.class))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("NotAClient.add has no @PythonTool");
      assertThatThrownBy(() -> pit.client(String.class)).hasMessageContaining("not an interface");
    }
  }
}
