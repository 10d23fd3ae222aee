package dev.snakepit.maven;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateMojoTest {
  private static final String MANIFEST = """
      {"format": "snakepit-manifest/1", "adapter": {"class": "greeter.tools.GreeterAdapter", "version": "0.1.0"},
       "tools": [{"name": "hello", "description": "Greet someone.", "streaming": false, "returns": {"kind": "string"},
         "parameters": [{"name": "name", "type": {"kind": "string"}, "required": false, "default": "world"}]}],
       "types": {}}
      """;

  private static GenerateMojo mojo(Path manifest, Path out) {
    var mojo = new GenerateMojo();
    mojo.manifest = manifest.toFile();
    mojo.packageName = "com.acme.clients";
    mojo.outputDirectory = out.toFile();
    mojo.project = new MavenProject();
    return mojo;
  }

  @Test
  void shouldGenerateTheClientAndAddItsSourceRoot(@TempDir Path dir) throws Exception {
    var manifest = Files.writeString(dir.resolve("greeter.json"), MANIFEST);
    var out = dir.resolve("generated");
    var mojo = mojo(manifest, out);

    mojo.execute();

    assertThat(out.resolve("com/acme/clients/GreeterAdapter.java")).content()
        .contains("public interface GreeterAdapter {", "String hello(@PythonParam(\"name\") Optional<String> name);");
    assertThat(mojo.project.getCompileSourceRoots()).containsExactly(out.toAbsolutePath().toString());
  }

  @Test
  void shouldGenerateFromTheCommittedSampleManifestWithoutPython(@TempDir Path dir) throws Exception {
    // The sample adapter's manifest, kept in step with the adapter by a Python test.
    var manifest = Path.of("../python/src/snakepit_bridge/tooling/sample.manifest.json");
    var mojo = mojo(manifest, dir);
    mojo.className = "Sample";

    mojo.execute();

    assertThat(dir.resolve("com/acme/clients/Sample.java")).content().contains(
        "long add(@PythonParam(\"a\") long a, @PythonParam(\"b\") long b);",
        "Stream<Long> countUp(@PythonParam(\"limit\") long limit);",
        "record Point(", "record Stats(", "enum ConvertMode {");
  }

  @Test
  void shouldFailTheBuildNamingAMissingManifest(@TempDir Path dir) {
    var mojo = mojo(dir.resolve("missing.json"), dir.resolve("generated"));

    assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class).hasMessageContaining("no manifest file");
  }

  @Test
  void shouldDoNothingWhenSkipped(@TempDir Path dir) throws Exception {
    var mojo = mojo(dir.resolve("missing.json"), dir.resolve("generated"));
    mojo.skip = true;

    mojo.execute();

    assertThat(dir.resolve("generated")).doesNotExist();
  }
}
