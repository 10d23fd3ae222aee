package dev.snakepit.cli;

import dev.snakepit.codegen.JavaGenerator;
import dev.snakepit.codegen.Manifest;
import dev.snakepit.codegen.ManifestException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code snakepit codegen}: a typed Java client interface from a manifest file or a live adapter. */
@Command(
    name = "codegen",
    sortOptions = false,
    header = "Generate a typed Java client of the adapter's tools.",
    description = {
      "Writes one interface (a method per tool, its async variant, records for",
      "TypedDicts, dataclasses and pydantic models, enums for string Literals) under",
      "DIR/<package path>/. Get an implementation with Snakepit.client(Type.class).",
      "Reads --manifest FILE (no Python needed) or asks the adapter (--adapter).",
      "",
      "Exit status: 0 written; 1 the manifest could not be read or written; 2 usage error.",
      ""
    })
final class CodegenCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Option(names = "--manifest", paramLabel = "FILE", description = "Generate from this manifest instead of asking the adapter.")
  Path manifest;

  @Option(names = "--package", paramLabel = "P", required = true, description = "Java package of the generated code.")
  String packageName;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Source root to write to (e.g. src/main/java).")
  Path out;

  @Option(names = "--class", paramLabel = "NAME", description = "Interface name (default: the adapter's class name).")
  String className;

  @Mixin
  PoolOptions pool;

  @Override
  public Integer call() {
    var commandLine = spec.commandLine();
    try {
      Manifest source;
      if (manifest != null) {
        if (commandLine.getParseResult().hasMatchedOption("--adapter")) {
          throw new picocli.CommandLine.ParameterException(commandLine, "give either --manifest or --adapter, not both");
        }
        source = Manifest.read(manifest);
      } else {
        source = AdapterIntrospection.manifest(PoolOptions.build(commandLine, pool.builder(commandLine, "codegen", 1)));
      }
      var written = JavaGenerator.write(source, packageName, className, out);
      for (var file : written) {
        commandLine.getOut().println("wrote " + file);
      }
      commandLine.getOut().flush();
      return 0;
    } catch (ManifestException | AdapterIntrospection.IntrospectionException | UncheckedIOException e) {
      return TextOutput.fail(commandLine, e.getMessage());
    }
  }
}
