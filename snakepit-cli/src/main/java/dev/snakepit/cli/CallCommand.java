package dev.snakepit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snakepit.CallOptions;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolResult;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit call TOOL [NAME=VALUE ...]}: starts a small pool, calls one tool, prints the
 * result as JSON on stdout (a streaming tool: one JSON line per chunk, as it arrives), and exits 0;
 * a failed call prints an error JSON document on stderr and exits 1.
 */
@Command(
    name = "call",
    sortOptions = false,
    header = "Call one tool and print its result as JSON.",
    description = {
      "Each VALUE is sent as JSON when it is exactly one JSON value (a=2, xs=[1,2],",
      "flag=true, o={\"k\":1}), else as a string (text=hello). Quote JSON to force a",
      "string: text='\"123\"'. NAME=@FILE sends a file's bytes, NAME=@- sends stdin,",
      "NAME=@@x sends the string @x.",
      "",
      "A streaming tool (or --stream) prints one JSON line per chunk as it arrives.",
      "A bytes result prints {\"binary\":true,\"size\":N,\"sha256\":...}; --output FILE",
      "saves the bytes instead.",
      "",
      "Exit status: 0 success; 1 the call failed (error JSON with type and message",
      "on stderr); 2 usage error.",
      ""
    })
final class CallCommand implements Callable<Integer> {
  @ParentCommand
  SnakepitCli root;

  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Parameters(index = "0", paramLabel = "TOOL", description = "The tool to call (see 'snakepit tools').")
  String tool;

  @Parameters(index = "1..*", paramLabel = "NAME=VALUE", description = "Tool arguments.")
  List<String> words = new ArrayList<>();

  @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Time budget of the call, e.g. 500ms, 5s, 2m or plain millis (default: 30s).")
  Duration timeout;

  @Option(names = "--stream", description = "Call the tool as a stream even if it does not say it streams.")
  boolean stream;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE",
      description = "Write the result to FILE (bytes as they are, JSON as text; a stream's chunks one after another) and print a summary.")
  Path output;

  @Option(names = {"-r", "--raw"}, description = "Print a string result (or text chunk) without JSON quotes.")
  boolean raw;

  @Option(names = "--compact", description = "Print the result on one line instead of indented.")
  boolean compact;

  @Option(names = "--session", paramLabel = "ID", description = "Run the call in this session.")
  String session;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "1", description = "Workers to start (default: ${DEFAULT-VALUE}).")
  int workers;

  @Mixin
  PoolOptions pool;

  @Override
  public Integer call() {
    var commandLine = spec.commandLine();
    Map<String, Object> arguments;
    try {
      arguments = ToolArguments.parse(words, root.stdin());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(commandLine, e.getMessage());
    }
    var builder = pool.builder(commandLine, "cli", workers);
    if (timeout != null) {
      builder.callTimeout(timeout);
    }
    var config = PoolOptions.build(commandLine, builder);
    var options = CallOptions.defaults();
    if (timeout != null) {
      options = options.withTimeout(timeout);
    }
    if (session != null) {
      options = options.withSessionId(session);
    }
    var out = commandLine.getOut();
    try (var pit = Snakepit.start(config)) {
      if (stream || declaresStreaming(pit)) {
        return stream(pit, arguments, options, out);
      }
      printResult(pit.execute(tool, arguments, options), out);
      return 0;
    } catch (SnakepitException e) {
      return fail(ErrorReport.of(e));
    } catch (IOException e) {
      return fail(ErrorReport.of("IOException", "cannot write '" + output + "': " + e.getMessage()));
    }
  }

  private boolean declaresStreaming(Snakepit pit) {
    return pit.tools().stream().anyMatch(info -> info.name().equals(tool) && info.supportsStreaming());
  }

  // ---- single result ----------------------------------------------------------------------------

  private void printResult(ToolResult result, PrintWriter out) throws IOException {
    if (output != null) {
      byte[] bytes = result.isBinary() ? result.bytes() : render(result.asJson()).getBytes(StandardCharsets.UTF_8);
      Files.write(output, bytes);
      out.println(render(summary(output, bytes.length, sha256(ByteBuffer.wrap(bytes)))));
    } else if (result.isBinary()) {
      var json = CliJson.object().put("binary", true);
      var bytes = result.byteBuffer();
      json.put("size", bytes.remaining()).put("sha256", sha256(bytes));
      out.println(render(json));
    } else {
      out.println(render(result.asJson()));
    }
    out.flush();
  }

  private String render(JsonNode node) {
    if (raw && node.isTextual()) {
      return node.textValue();
    }
    return compact ? CliJson.compact(node) : CliJson.pretty(node);
  }

  // ---- stream -----------------------------------------------------------------------------------

  private int stream(Snakepit pit, Map<String, Object> arguments, CallOptions options, PrintWriter out) throws IOException {
    long chunks = 0;
    long bytes = 0;
    MessageDigest digest = newDigest();
    try (var chunkStream = pit.stream(tool, arguments, options);
        OutputStream file = output == null ? null : Files.newOutputStream(output)) {
      while (chunkStream.hasNext()) {
        var chunk = chunkStream.next();
        if (chunk.isFinal() && chunk.isEmpty()) {
          continue; // the stream's closing marker, no data
        }
        chunks++;
        if (file != null) {
          byte[] data = StreamChunk.BYTES.equals(chunk.contentType()) ? chunk.data() : (chunk.text() + "\n").getBytes(StandardCharsets.UTF_8);
          file.write(data);
          digest.update(data);
          bytes += data.length;
          continue;
        }
        out.println(chunkLine(chunk));
        out.flush();
        if (out.checkError()) {
          return 0; // the reader went away (e.g. '| head -1'): closing the stream cancels the tool
        }
      }
    }
    if (output != null) {
      out.println(render(summary(output, bytes, HexFormat.of().formatHex(digest.digest())).put("chunks", chunks)));
      out.flush();
    }
    return 0;
  }

  private String chunkLine(StreamChunk chunk) {
    return switch (chunk.contentType()) {
      case StreamChunk.BYTES -> CliJson.compact(CliJson.object().put("binary", true).put("size", chunk.data().length)
          .put("sha256", sha256(ByteBuffer.wrap(chunk.data()))));
      case StreamChunk.TEXT -> raw ? chunk.text() : CliJson.compact(CliJson.tree(chunk.text()));
      default -> CliJson.compact(chunk.asJson());
    };
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private int fail(ObjectNode report) {
    var err = spec.commandLine().getErr();
    err.println(compact ? CliJson.compact(report) : CliJson.pretty(report));
    err.flush();
    return 1;
  }

  private static ObjectNode summary(Path file, long size, String sha256) {
    return CliJson.object().put("output", file.toAbsolutePath().toString()).put("size", size).put("sha256", sha256);
  }

  static String sha256(ByteBuffer bytes) {
    var digest = newDigest();
    digest.update(bytes.duplicate());
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
