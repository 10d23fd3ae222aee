package dev.snakepit.maven;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.codegen.JavaGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin in a real Maven build: a consumer project runs {@code snakepit:generate} in
 * {@code generate-sources} from a committed manifest. The plugin and codegen artifacts of this
 * build go into a scratch local repository, in front of the user's (read-only) one.
 */
class PluginBuildTest {
  private static final String VERSION = "0.1.0-SNAPSHOT";

  private static final String CONSUMER = """
      <project xmlns="http://maven.apache.org/POM/4.0.0">
        <modelVersion>4.0.0</modelVersion>
        <groupId>test.consumer</groupId>
        <artifactId>consumer</artifactId>
        <version>1</version>
        <build>
          <plugins>
            <plugin>
              <groupId>dev.snakepit</groupId>
              <artifactId>snakepit-maven-plugin</artifactId>
              <version>%s</version>
              <executions><execution><goals><goal>generate</goal></goals></execution></executions>
              <configuration>
                <manifest>src/main/snakepit/sample.json</manifest>
                <packageName>com.acme.clients</packageName>
              </configuration>
            </plugin>
          </plugins>
        </build>
      </project>
      """.formatted(VERSION);

  @Test
  void shouldGenerateTheClientInGenerateSourcesOfAConsumerBuild(@TempDir Path dir) throws Exception {
    var root = Path.of("..").toAbsolutePath().normalize();
    var repo = dir.resolve("repo/dev/snakepit");
    install(repo, "snakepit-parent", root.resolve("pom.xml"), null);
    install(repo, "snakepit-codegen", root.resolve("snakepit-codegen/pom.xml"), codeSource(JavaGenerator.class));
    install(repo, "snakepit-maven-plugin", root.resolve("snakepit-maven-plugin/pom.xml"), codeSource(GenerateMojo.class));

    var project = Files.createDirectories(dir.resolve("consumer"));
    Files.writeString(project.resolve("pom.xml"), CONSUMER);
    Files.createDirectories(project.resolve("src/main/snakepit"));
    Files.copy(root.resolve("python/src/snakepit_bridge/tooling/sample.manifest.json"), project.resolve("src/main/snakepit/sample.json"));

    var userRepo = Path.of(System.getProperty("user.home"), ".m2", "repository");
    var command = List.of(root.resolve("mvnw").toString(), "-B", "-o", "-f", project.resolve("pom.xml").toString(),
        "generate-sources", "-Dmaven.repo.local=" + dir.resolve("repo"), "-Dmaven.repo.local.tail=" + userRepo);
    var process = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true).start();
    process.getOutputStream().close();
    var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(300, TimeUnit.SECONDS)).as(output).isTrue();

    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("--- snakepit:" + VERSION + ":generate (default) @ consumer ---");
    assertThat(project.resolve("target/generated-sources/snakepit/com/acme/clients/SampleAdapter.java")).content()
        .contains("public interface SampleAdapter {", "long add(@PythonParam(\"a\") long a, @PythonParam(\"b\") long b);");
  }

  /** Where a class was loaded from: a jar, or a classes directory of this build. */
  private static Path codeSource(Class<?> type) throws Exception {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** Puts {@code artifactId}'s pom (and jar, made from a classes directory if need be) in a local repository. */
  private static void install(Path groupDir, String artifactId, Path pom, Path classes) throws IOException {
    var dir = Files.createDirectories(groupDir.resolve(artifactId).resolve(VERSION));
    Files.copy(pom, dir.resolve(artifactId + "-" + VERSION + ".pom"));
    if (classes == null) {
      return;
    }
    var jar = dir.resolve(artifactId + "-" + VERSION + ".jar");
    if (Files.isRegularFile(classes)) {
      Files.copy(classes, jar);
      return;
    }
    try (OutputStream file = Files.newOutputStream(jar); var out = new JarOutputStream(file);
        Stream<Path> walk = Files.walk(classes)) {
      for (var path : walk.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new JarEntry(classes.relativize(path).toString().replace('\\', '/')));
        Files.copy(path, out);
        out.closeEntry();
      }
    }
  }
}
