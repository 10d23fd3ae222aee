package dev.snakepit.maven;

import dev.snakepit.codegen.JavaGenerator;
import dev.snakepit.codegen.Manifest;
import dev.snakepit.codegen.ManifestException;
import java.io.File;
import java.io.UncheckedIOException;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * {@code snakepit:generate}: writes the typed Java client of a committed adapter manifest (made by
 * {@code snakepit manifest -o FILE}) into {@code target/generated-sources/snakepit} and adds it to
 * the compile sources. It runs the same generator as {@code snakepit codegen}, and needs no Python.
 *
 * <pre>{@code
 * <plugin>
 *   <groupId>dev.snakepit</groupId>
 *   <artifactId>snakepit-maven-plugin</artifactId>
 *   <executions><execution><goals><goal>generate</goal></goals></execution></executions>
 *   <configuration>
 *     <manifest>src/main/snakepit/my-adapter.json</manifest>
 *     <packageName>com.acme.clients</packageName>
 *   </configuration>
 * </plugin>
 * }</pre>
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public final class GenerateMojo extends AbstractMojo {
  /** The manifest file. */
  @Parameter(property = "snakepit.manifest", required = true)
  File manifest;

  /** The Java package of the generated interface. */
  @Parameter(property = "snakepit.packageName", required = true)
  String packageName;

  /** The interface name; default the adapter class's simple name. */
  @Parameter(property = "snakepit.className")
  String className;

  /** Where the sources go (added as a compile source root). */
  @Parameter(property = "snakepit.outputDirectory", defaultValue = "${project.build.directory}/generated-sources/snakepit")
  File outputDirectory;

  /** Skips generation. */
  @Parameter(property = "snakepit.skip", defaultValue = "false")
  boolean skip;

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  MavenProject project;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("snakepit:generate skipped");
      return;
    }
    try {
      var source = Manifest.read(manifest.toPath());
      for (var file : JavaGenerator.write(source, packageName, className, outputDirectory.toPath())) {
        getLog().info("snakepit: generated " + file + " from " + manifest);
      }
    } catch (ManifestException e) {
      throw new MojoFailureException("snakepit:generate: " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw new MojoExecutionException("snakepit:generate: " + e.getMessage(), e);
    }
    project.addCompileSourceRoot(outputDirectory.getAbsolutePath());
  }
}
