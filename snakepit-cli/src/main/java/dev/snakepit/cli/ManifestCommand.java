package dev.snakepit.cli;

import dev.snakepit.codegen.Manifest;
import dev.snakepit.codegen.ManifestCheck;
import dev.snakepit.codegen.ManifestException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit manifest}: the adapter's manifest as JSON, or with {@code --check FILE} the
 * compatibility of the adapter as it is now with a saved manifest.
 */
@Command(
    name = "manifest",
    sortOptions = false,
    header = "Print the adapter's manifest (JSON), or check it against a saved one.",
    description = {
      "The manifest lists every tool with its description, streaming flag, parameters",
      "(name, type tree, required, default, description) and return type. Its JSON",
      "Schema is python/src/snakepit_bridge/tooling/manifest.schema.json.",
      "",
      "--check FILE compares the adapter with FILE: one line per difference,",
      "'BREAKING tool 'T' parameter 'P': what' or 'INFO ...'.",
      "",
      "Exit status: 0 written, or compatible; 1 breaking changes, or the adapter or",
      "file could not be read; 2 usage error.",
      ""
    })
final class ManifestCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the manifest to FILE instead of stdout.")
  Path output;

  @Option(names = "--check", paramLabel = "FILE", description = "Compare the adapter with the manifest saved in FILE.")
  Path check;

  @Mixin
  PoolOptions pool;

  @Override
  public Integer call() {
    var commandLine = spec.commandLine();
    var config = PoolOptions.build(commandLine, pool.builder(commandLine, "manifest", 1));
    var out = commandLine.getOut();
    try {
      if (check != null) {
        var saved = Manifest.read(check);
        var report = ManifestCheck.compare(saved, AdapterIntrospection.manifest(config));
        report.changes().forEach(out::println);
        out.println(report.isCompatible()
            ? "compatible with " + check + (report.changes().isEmpty() ? " (no changes)" : "")
            : report.breaking().size() + " breaking change" + (report.breaking().size() == 1 ? "" : "s") + " against " + check);
        out.flush();
        return report.isCompatible() ? 0 : 1;
      }
      var json = AdapterIntrospection.manifestJson(config);
      var manifest = Manifest.parse(json, "the manifest of " + config.adapter());
      TextOutput.writeOrPrint(commandLine, output, json,
          " (" + manifest.tools().size() + " tools of " + manifest.adapterClass() + ")");
      return 0;
    } catch (ManifestException | AdapterIntrospection.IntrospectionException e) {
      return TextOutput.fail(commandLine, e.getMessage());
    } catch (IOException e) {
      return TextOutput.fail(commandLine, "cannot write '" + output + "': " + e.getMessage());
    }
  }
}
