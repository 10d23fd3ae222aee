package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code snakepit call} against real workers of the showcase adapter. */
@ExtendWith(SnakepitLeakCheck.class)
class CallCommandTest {

  @Test
  void shouldPrintFourAndExitZeroForAddTwoAndTwo() {
    var run = Cli.run("call", "add", "a=2", "b=2");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).isEqualTo("4\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void shouldExitOneWithToolNotFoundReportForUnknownTool() {
    var run = Cli.run("call", "nope");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    var error = run.errJson();
    assertThat(error.path("type").asText()).isEqualTo("ToolNotFoundException");
    assertThat(error.path("code").asText()).isEqualTo("TOOL_NOT_FOUND");
    assertThat(error.path("tool").asText()).isEqualTo("nope");
    assertThat(error.path("message").asText()).contains("'nope'");
    assertThat(error.path("available_tools")).anySatisfy(name -> assertThat(name.asText()).isEqualTo("add"));
  }

  @Test
  void shouldSuggestTheClosestToolForATypo() {
    var run = Cli.run("call", "ad", "a=1", "b=2");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.errJson().path("suggestion").asText()).isEqualTo("add");
    assertThat(run.errJson().path("message").asText()).contains("Did you mean 'add'?");
  }

  @Test
  void shouldExitOneNamingTheMissingParameter() {
    var run = Cli.run("call", "add", "a=2");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    var error = run.errJson();
    assertThat(error.path("type").asText()).isEqualTo("InvalidArgumentsException");
    assertThat(error.path("parameter").asText()).isEqualTo("b");
    assertThat(error.path("problem").asText()).isEqualTo("missing");
    assertThat(error.path("message").asText()).contains("'b'");
  }

  @Test
  void shouldReportPythonTypeAndTracebackWhenTheToolRaises() {
    var run = Cli.run("call", "fail", "error_type=KeyError", "message=boom");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    var error = run.errJson();
    assertThat(error.path("type").asText()).isEqualTo("PythonException");
    assertThat(error.path("python_type").asText()).isEqualTo("KeyError");
    assertThat(error.path("message").asText()).contains("KeyError").doesNotContain("Traceback");
    assertThat(error.path("traceback").asText()).contains("Traceback (most recent call last)", "showcase.py", "KeyError");
  }

  @Test
  void shouldExitOneWithTimeoutReportWhenTheBudgetRunsOut() {
    var run = Cli.run("call", "sleep", "ms=10000", "--timeout", "300ms", "--compact");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.err().lines()).hasSize(1);
    var error = run.errJson();
    assertThat(error.path("type").asText()).isEqualTo("CallTimeoutException");
    assertThat(error.path("timeout_ms").asLong()).isEqualTo(300);
  }

  @Test
  void shouldSendValuesAsJsonWhenValidAndAsStringsOtherwise() {
    var json = Cli.run("call", "echo", "message={\"xs\":[1,2.5,true,null]}", "--compact");
    var text = Cli.run("call", "echo", "message=hello world", "--compact");
    var quoted = Cli.run("call", "echo", "message=\"42\"", "--compact");

    assertThat(json.out()).as(json.toString()).isEqualTo("{\"xs\":[1,2.5,true,null]}\n");
    assertThat(text.out()).as(text.toString()).isEqualTo("\"hello world\"\n");
    assertThat(quoted.out()).as(quoted.toString()).isEqualTo("\"42\"\n");
  }

  @Test
  void shouldPrintAStringResultWithoutQuotesWhenRaw() {
    var run = Cli.run("call", "echo", "message=hello", "--raw");

    assertThat(run.out()).as(run.toString()).isEqualTo("hello\n");
  }

  @Test
  void shouldPrintOneJsonLinePerChunkForAStreamingTool() {
    var run = Cli.run("call", "stream_progress", "steps=3", "delay_ms=0");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outLines()).hasSize(3);
    for (int i = 0; i < 3; i++) {
      var chunk = Cli.parse(run.outLines().get(i));
      assertThat(chunk.path("step").asInt()).isEqualTo(i + 1);
      assertThat(chunk.path("total").asInt()).isEqualTo(3);
    }
  }

  @Test
  void shouldSendAFileAsBytesAndDescribeABinaryResult(@TempDir Path dir) throws Exception {
    var payload = new byte[100_000];
    new Random(7).nextBytes(payload);
    var file = Files.write(dir.resolve("payload.bin"), payload);

    var run = Cli.run("call", "echo_bytes", "data=@" + file);

    assertThat(run.exitCode()).as(run.toString()).isZero();
    var summary = run.outJson();
    assertThat(summary.path("binary").asBoolean()).isTrue();
    assertThat(summary.path("size").asInt()).isEqualTo(payload.length);
    assertThat(summary.path("sha256").asText()).isEqualTo(CallCommand.sha256(ByteBuffer.wrap(payload)));
  }

  @Test
  void shouldWriteABinaryResultToTheOutputFile(@TempDir Path dir) throws Exception {
    var output = dir.resolve("out.bin");
    var stdin = new ByteArrayInputStream("bytes from stdin".getBytes(StandardCharsets.UTF_8));

    var run = Cli.runWithStdin(stdin, "call", "echo_bytes", "data=@-", "--output", output.toString());

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(Files.readString(output)).isEqualTo("bytes from stdin");
    assertThat(run.outJson().path("size").asInt()).isEqualTo(16);
    assertThat(run.outJson().path("output").asText()).isEqualTo(output.toAbsolutePath().toString());
  }

  @Test
  void shouldExitOneWithStartupReportWhenTheAdapterCannotBeImported() {
    var run = Cli.run("call", "ping", "--adapter", "no_such_module.NoAdapter", "--compact");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    var error = run.errJson();
    assertThat(error.path("type").asText()).isEqualTo("StartupFailedException");
    assertThat(error.path("stderr_tail").asText()).contains("no_such_module");
  }

  @Test
  void shouldExitTwoWithoutStartingWorkersOnUsageErrors() {
    assertThat(Cli.run("call").exitCode()).isEqualTo(2);
    assertThat(Cli.run("call", "add", "--timeout", "soon").exitCode()).isEqualTo(2);
    assertThat(Cli.run("call", "add", "--workers", "0").exitCode()).isEqualTo(2);
    assertThat(Cli.run("call", "add", "--adapter", "not a class").exitCode()).isEqualTo(2);
    assertThat(Cli.run("call", "add", "--no-such-option").exitCode()).isEqualTo(2);

    var noEquals = Cli.run("call", "add", "a2");
    assertThat(noEquals.exitCode()).isEqualTo(2);
    assertThat(noEquals.err()).contains("'a2' is not NAME=VALUE");
  }
}
