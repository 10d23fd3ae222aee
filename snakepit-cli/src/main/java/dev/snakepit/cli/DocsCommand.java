package dev.snakepit.cli;

import dev.snakepit.codegen.ManifestException;
import dev.snakepit.codegen.MarkdownDocs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code snakepit docs}: a Markdown reference of the adapter's tools, from their docstrings and types. */
@Command(
    name = "docs",
    sortOptions = false,
    header = "Print a Markdown reference of the adapter's tools.",
    description = {
      "One section per tool: description, a table of parameters (type, required,",
      "default, description), the return type and a 'snakepit call' line; then the",
      "object types.",
      "",
      "Exit status: 0 written; 1 the adapter could not be described; 2 usage error.",
      ""
    })
final class DocsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the Markdown to FILE instead of stdout.")
  Path output;

  @Mixin
  PoolOptions pool;

  @Override
  public Integer call() {
    var commandLine = spec.commandLine();
    var config = PoolOptions.build(commandLine, pool.builder(commandLine, "docs", 1));
    try {
      TextOutput.writeOrPrint(commandLine, output, MarkdownDocs.render(AdapterIntrospection.manifest(config)), "");
      return 0;
    } catch (ManifestException | AdapterIntrospection.IntrospectionException e) {
      return TextOutput.fail(commandLine, e.getMessage());
    } catch (IOException e) {
      return TextOutput.fail(commandLine, "cannot write '" + output + "': " + e.getMessage());
    }
  }
}
