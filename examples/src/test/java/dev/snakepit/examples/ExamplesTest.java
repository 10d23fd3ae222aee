package dev.snakepit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs every example against real workers and checks what it printed, so the examples never rot. */
@ExtendWith(SnakepitLeakCheck.class)
class ExamplesTest {

  @Test
  void basicExampleAddsMapsOntoARecordAndRunsCallsInParallel() {
    var out = run(BasicExample::run);

    assertThat(out).contains("Started 2 Python workers", "add(2, 3) = 5",
        "TextResult[original=Snakepit, operation=upper, result=SNAKEPIT, length=8]",
        "alpha -> ahpla", "beta -> ateb", "gamma -> ammag", "delta -> atled",
        "6 calls completed, 0 failed", "Pool closed");
  }

  @Test
  void streamingExampleShowsIteratorCallbackAndEarlyClose() {
    var out = run(StreamingExample::run);

    assertThat(out).contains("chunk 1: step 1 of 4 (25.0%)", "chunk 4: step 4 of 4 (100.0%) [final]",
        "callback got: step 3 of 3", "stream done, 3 chunks",
        "read 3 of 1000 chunks", "the worker is free again: add(1, 1) = 2");
    var closedAfterMs = Long.parseLong(out.replaceAll("(?s).*closed the stream after (\\d+) ms.*", "$1"));
    assertThat(closedAfterMs).as("closing early should not wait for the remaining chunks").isLessThan(10_000);
  }

  @Test
  void binaryExampleMovesBytesBothWaysUnchanged() {
    var out = run(BinaryExample::run);

    assertThat(out).contains("size=1048576", "-> match", "returned 100000 bytes (isBinary=true)",
        "same seed, same bytes: true", "identical: true");
    assertThat(out).doesNotContain("MISMATCH");
  }

  @Test
  void sessionsExampleKeepsStateOnOneWorkerAndShowsTheAffinityModes() {
    var out = run(SessionsExample::run);

    assertThat(out).contains("ran on 1 worker(s)", "the Python-side counter reached 5",
        "HINT while", "ran on another worker: true", "STRICT_FAIL_FAST while busy: SESSION_WORKER_BUSY",
        "ran on the bound worker: true (after the 500 ms busy call: true)",
        "the strict session says: WORKER_LOST", "a HINT session simply rebinds");
  }

  @Test
  void bidirectionalExampleHasPythonCallJavaToolsAndBack() {
    var out = run(BidirectionalToolsExample::run);

    assertThat(out).contains("Host tools Python can call: [", "calculate_fibonacci", "parse_json", "process_list",
        "1. combine_host_tools", "Python raised HostToolError", "n must be between 0 and 92",
        "Session-scoped tool: Hello, alice!", "In session bob: HostToolNotFoundError", "4. Nested call: {", "\"doubled\":42");
  }

  @Test
  void errorsExampleShowsEachTypedError() {
    var out = run(ErrorsExample::run);

    assertThat(out).contains(
        "ToolNotFoundException [TOOL_NOT_FOUND]: no tool 'ad', did you mean 'add'?",
        "InvalidArgumentsException [INVALID_ARGUMENTS]: parameter 'b' (missing)",
        "InvalidArgumentsException [INVALID_ARGUMENTS]: parameter 'b' (type)",
        "PythonException [PYTHON_ERROR]: Python raised KeyError",
        "CallTimeoutException [TIMEOUT]: gave up after 200 ms while RUNNING",
        "PoolSaturatedException [POOL_SATURATED]: rejected (QUEUE_FULL)",
        "add(2, 2) = 4; 5 calls failed, 0 workers crashed");
    assertThat(out).doesNotContain("no error?");
  }

  private static String run(Consumer<PrintStream> example) {
    var bytes = new ByteArrayOutputStream();
    try (var out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      example.accept(out);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
