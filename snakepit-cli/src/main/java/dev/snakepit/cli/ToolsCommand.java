package dev.snakepit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.ToolInfo;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code snakepit tools}: the adapter's tools and their parameters, as a table or as JSON. */
@Command(
    name = "tools",
    sortOptions = false,
    header = "List the adapter's tools and their parameters.",
    description = {
      "Each parameter shows its name, type, whether it is required or its default,",
      "and its description. --json prints an array of {name, description,",
      "streaming, parameters: [{name, type, required, default?, description}]}.",
      ""
    })
final class ToolsCommand implements Callable<Integer> {
  @ParentCommand
  SnakepitCli root;

  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Mixin
  PoolOptions pool;

  @Override
  public Integer call() {
    var commandLine = spec.commandLine();
    var config = PoolOptions.build(commandLine, pool.builder(commandLine, "cli", 1));
    List<ToolInfo> tools;
    try (var pit = Snakepit.start(config)) {
      tools = pit.tools();
    } catch (SnakepitException e) {
      var err = commandLine.getErr();
      err.println(json ? CliJson.pretty(ErrorReport.of(e)) : "snakepit tools: " + e.getMessage());
      err.flush();
      return 1;
    }
    var out = commandLine.getOut();
    if (json) {
      out.println(CliJson.pretty(toJson(tools)));
    } else {
      printTable(tools, config.adapter(), out);
    }
    out.flush();
    return 0;
  }

  /** The JSON form of {@code tools}. */
  static ArrayNode toJson(List<ToolInfo> tools) {
    var result = CliJson.array();
    for (var info : tools) {
      var tool = result.addObject();
      tool.put("name", info.name());
      tool.put("description", info.description());
      tool.put("streaming", info.supportsStreaming());
      var parameters = tool.putArray("parameters");
      for (var parameter : info.parameters()) {
        var p = parameters.addObject();
        p.put("name", parameter.name());
        p.put("type", parameter.type());
        p.put("required", parameter.required());
        if (parameter.defaultJson() != null) {
          p.set("default", defaultValue(parameter.defaultJson()));
        }
        p.put("description", parameter.description());
      }
    }
    return result;
  }

  private static JsonNode defaultValue(String defaultJson) {
    return CliJson.parseStrict(defaultJson).orElseGet(() -> CliJson.tree(defaultJson));
  }

  private void printTable(List<ToolInfo> tools, String adapter, PrintWriter out) {
    var term = root.terminal();
    out.println(term.bold(tools.size() + (tools.size() == 1 ? " tool" : " tools")) + " from " + adapter);
    if (tools.isEmpty()) {
      out.println("The adapter reported no tools (a worker that does not implement DescribeTools lists none).");
      return;
    }
    int nameWidth = tools.stream().mapToInt(t -> t.name().length()).max().orElse(0);
    for (var info : tools) {
      out.println();
      var heading = term.cyan(term.bold(pad(info.name(), nameWidth))) + "  " + info.description();
      out.println(info.supportsStreaming() ? heading + "  " + term.yellow("[streaming]") : heading);
      if (info.parameters().isEmpty()) {
        out.println("    " + term.dim("(no parameters)"));
        continue;
      }
      // Columns sized per tool, so one long type name does not stretch every table.
      int paramWidth = info.parameters().stream().mapToInt(p -> p.name().length()).max().orElse(0);
      int typeWidth = info.parameters().stream().mapToInt(p -> p.type().length()).max().orElse(0);
      int requirementWidth = info.parameters().stream().mapToInt(p -> requirement(p).length()).max().orElse(0);
      for (var p : info.parameters()) {
        var requirement = pad(requirement(p), requirementWidth);
        out.println(("    " + pad(p.name(), paramWidth) + "  " + term.dim(pad(p.type(), typeWidth)) + "  "
            + (p.required() ? term.bold(requirement) : requirement) + "  " + p.description()).stripTrailing());
      }
    }
  }

  private static String requirement(ToolInfo.ParameterInfo p) {
    if (p.required()) {
      return "required";
    }
    return p.defaultJson() == null ? "optional" : "= " + p.defaultJson();
  }

  static String pad(String text, int width) {
    return text.length() >= width ? text : text + " ".repeat(width - text.length());
  }
}
