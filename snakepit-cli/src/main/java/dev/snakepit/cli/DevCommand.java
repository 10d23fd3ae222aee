package dev.snakepit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolInfo;
import dev.snakepit.ToolResult;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit dev}: a pool that takes tool calls from stdin, one per line, and replaces its
 * workers when a {@code .py} file of the adapter changes.
 *
 * <p>Stdout carries one JSON document per line: a result, a stream chunk, {@code {"error": ...}},
 * or an event ({@code {"event":"ready"|"reloaded"|"reload_failed", ...}}). Human-readable notes go
 * to stderr. A reload starts a fresh pool, switches calls to it once it is ready, then closes the
 * old one (a call running on it finishes first); a reload that fails keeps the old workers.
 */
@Command(
    name = "dev",
    sortOptions = false,
    header = "Run the adapter for development: calls from stdin, reload on .py changes.",
    description = {
      "Reads lines 'TOOL NAME=VALUE ...' from stdin (values as in 'snakepit call';",
      "quote with '...' or \"...\"; @FILE reads a file) and prints each result as one",
      "JSON line. When a .py file under the --pythonpath directories or the adapter",
      "module's directory changes, new workers start, take over, and the old ones stop;",
      "the tool list difference is printed as {\"event\":\"reloaded\",...}.",
      "",
      "Exit status: 0 at the end of stdin; 1 the first pool did not start; 2 usage error.",
      ""
    })
final class DevCommand implements Callable<Integer> {
  @ParentCommand
  SnakepitCli root;

  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "1", description = "Workers to start (default: ${DEFAULT-VALUE}).")
  int workers;

  @Mixin
  PoolOptions pool;

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private Snakepit current;
  private PrintWriter out;
  private PrintWriter err;

  @Override
  public Integer call() throws IOException {
    var commandLine = spec.commandLine();
    var config = PoolOptions.build(commandLine,
        pool.builder(commandLine, "dev", workers).workerEnvironment("PYTHONDONTWRITEBYTECODE", "1"));
    out = commandLine.getOut();
    err = commandLine.getErr();
    try {
      current = Snakepit.start(config);
    } catch (SnakepitException e) {
      err.println("snakepit dev: the workers did not start: " + e.getMessage());
      err.flush();
      return 1;
    }
    var directories = watchedDirectories(config);
    try (var watcher = new SourceWatcher(directories, () -> reload(config))) {
      watcher.start();
      var tools = current.tools();
      emit(CliJson.object().put("event", "ready").set("tools", names(tools)));
      note(tools.size() + (tools.size() == 1 ? " tool" : " tools") + " from " + config.adapter() + "; watching " + directories
          + "; type TOOL NAME=VALUE ... (end with Ctrl-D)");
      var reader = new BufferedReader(new InputStreamReader(root.stdin(), StandardCharsets.UTF_8));
      for (String line; (line = reader.readLine()) != null; ) {
        var words = words(line);
        if (words.isEmpty() || words.getFirst().startsWith("#")) {
          continue;
        }
        lock.readLock().lock();
        try {
          run(current, words);
        } finally {
          lock.readLock().unlock();
        }
      }
    } finally {
      lock.writeLock().lock();
      try {
        current.close();
      } finally {
        lock.writeLock().unlock();
      }
    }
    return 0;
  }

  // ---- calls ------------------------------------------------------------------------------------

  private void run(Snakepit pit, List<String> words) {
    var tool = words.getFirst();
    try {
      var arguments = ToolArguments.parse(words.subList(1, words.size()), new ByteArrayInputStream(new byte[0]));
      boolean streaming = pit.tools().stream().anyMatch(info -> info.name().equals(tool) && info.supportsStreaming());
      if (streaming) {
        try (var chunks = pit.stream(tool, arguments)) {
          while (chunks.hasNext()) {
            var chunk = chunks.next();
            if (!(chunk.isFinal() && chunk.isEmpty())) {
              emit(chunkJson(chunk));
            }
          }
        }
      } else {
        emit(resultJson(pit.execute(tool, arguments)));
      }
    } catch (IllegalArgumentException e) {
      emit(CliJson.object().set("error", CliJson.object().put("type", "UsageError").put("message", e.getMessage())));
    } catch (SnakepitException e) {
      emit(CliJson.object().set("error", ErrorReport.of(e)));
    }
  }

  private static JsonNode resultJson(ToolResult result) {
    if (result.isBinary()) {
      return binary(result.byteBuffer());
    }
    return result.asJson();
  }

  private static JsonNode chunkJson(StreamChunk chunk) {
    return StreamChunk.BYTES.equals(chunk.contentType()) ? binary(ByteBuffer.wrap(chunk.data())) : chunk.asJson();
  }

  private static ObjectNode binary(ByteBuffer bytes) {
    return CliJson.object().put("binary", true).put("size", bytes.remaining()).put("sha256", CallCommand.sha256(bytes));
  }

  // ---- reload -----------------------------------------------------------------------------------

  /** Starts new workers, switches to them, stops the old ones; keeps the old ones when the new fail. */
  private void reload(SnakepitConfig config) {
    note("change detected, starting new workers");
    Snakepit fresh;
    try {
      fresh = Snakepit.start(config);
    } catch (SnakepitException e) {
      emit(CliJson.object().put("event", "reload_failed").put("message", e.getMessage()));
      note("reload failed, keeping the old workers: " + e.getMessage());
      return;
    }
    Snakepit old;
    lock.writeLock().lock(); // waits for a running call to finish on the old pool
    try {
      old = current;
      current = fresh;
    } finally {
      lock.writeLock().unlock();
    }
    var before = old.tools();
    old.close();
    var after = fresh.tools();
    var diff = diff(before, after);
    emit(CliJson.object().put("event", "reloaded").<ObjectNode>set("tools", names(after))
        .<ObjectNode>set("added", CliJson.tree(diff.get("added")))
        .<ObjectNode>set("removed", CliJson.tree(diff.get("removed")))
        .set("changed", CliJson.tree(diff.get("changed"))));
    note("reloaded: " + describe(diff));
  }

  /** The tool names added, removed, and changed (description, streaming or parameters) from {@code before} to {@code after}. */
  static Map<String, List<String>> diff(List<ToolInfo> before, List<ToolInfo> after) {
    var old = new TreeMap<String, ToolInfo>();
    before.forEach(t -> old.put(t.name(), t));
    var now = new TreeMap<String, ToolInfo>();
    after.forEach(t -> now.put(t.name(), t));
    var added = new ArrayList<String>();
    var changed = new ArrayList<String>();
    for (var entry : now.entrySet()) {
      var previous = old.get(entry.getKey());
      if (previous == null) {
        added.add(entry.getKey());
      } else if (!Objects.equals(ToolsCommand.toJson(List.of(previous)), ToolsCommand.toJson(List.of(entry.getValue())))) {
        changed.add(entry.getKey());
      }
    }
    var removed = old.keySet().stream().filter(name -> !now.containsKey(name)).toList();
    return Map.of("added", added, "removed", removed, "changed", changed);
  }

  private static String describe(Map<String, List<String>> diff) {
    var parts = new ArrayList<String>();
    diff.get("added").forEach(name -> parts.add("+" + name));
    diff.get("removed").forEach(name -> parts.add("-" + name));
    diff.get("changed").forEach(name -> parts.add("~" + name));
    return parts.isEmpty() ? "same tools" : String.join(" ", parts);
  }

  private static JsonNode names(List<ToolInfo> tools) {
    return CliJson.tree(tools.stream().map(ToolInfo::name).toList());
  }

  private List<Path> watchedDirectories(SnakepitConfig config) {
    var directories = new LinkedHashSet<Path>();
    config.pythonPath().forEach(p -> directories.add(p.toAbsolutePath().normalize()));
    try {
      var file = AdapterIntrospection.moduleFile(config);
      directories.add(file.toAbsolutePath().normalize().getParent());
    } catch (AdapterIntrospection.IntrospectionException e) {
      note("not watching the adapter module's directory: " + e.getMessage());
    }
    return List.copyOf(directories);
  }

  // ---- output -----------------------------------------------------------------------------------

  private synchronized void emit(JsonNode json) {
    out.println(CliJson.compact(json));
    out.flush();
  }

  private synchronized void note(String message) {
    err.println("snakepit dev: " + message);
    err.flush();
  }

  /** Splits a line into words at blanks; '...' and "..." quote (no escapes inside single quotes). */
  static List<String> words(String line) {
    var words = new ArrayList<String>();
    var word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < line.length()) {
          word.append(line.charAt(++i));
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
