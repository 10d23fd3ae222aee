package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.ToolProvider;

/** Compiles Java sources in a test with the JDK's compiler (javax.tools), against the test classpath. */
final class Compiler {
  private Compiler() {}

  /** Compiles every {@code .java} file under {@code sourceRoot} into {@code classes}; fails the test with javac's output. */
  static void compile(Path sourceRoot, Path classes) {
    List<String> files;
    try (Stream<Path> walk = Files.walk(sourceRoot)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    var compiler = ToolProvider.getSystemJavaCompiler();
    assertThat(compiler).as("a JDK compiler").isNotNull();
    var args = new ArrayList<>(List.of("-Xlint:all", "-Werror", "-Xlint:-processing", "-Xlint:-classfile", "-Xlint:-options",
        "-classpath", System.getProperty("java.class.path"), "-d", classes.toString()));
    args.addAll(files);
    var output = new StringWriter();
    int code = compiler.run(null, null, null, args.toArray(String[]::new));
    assertThat(code).as("javac of %s: %s", files, output).isZero();
  }
}
