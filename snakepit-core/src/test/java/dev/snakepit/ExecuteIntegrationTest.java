package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class ExecuteIntegrationTest {
  private static Snakepit pit;

  record TextResult(String original, String operation, String result, int length) {}

  @BeforeAll
  static void startPool() {
    pit = Snakepit.start(TestPools.config().workers(2).build());
  }

  @AfterAll
  static void closePool() {
    pit.close();
  }

  @Test
  void addReturnsAnIntegerForIntegerArguments() {
    var result = pit.execute("add", Map.of("a", 2, "b", 2));

    assertThat(result.asLong()).isEqualTo(4);
    assertThat(result.json()).isEqualTo("4");
    assertThat(result.workerId()).startsWith("test-w");
  }

  @Test
  void echoRoundTripsNestedJsonUnchanged() {
    var value = Map.of("name", "snake", "scores", List.of(1, 2.5, true), "nested", Map.of("empty", List.of()));

    var result = pit.execute("echo", Map.of("message", value));

    assertThat(result.asMap()).isEqualTo(value);
  }

  @Test
  void resultMapsOntoARecord() {
    var result = pit.execute("process_text", Map.of("text", "Hello", "operation", "reverse"));

    assertThat(result.as(TextResult.class)).isEqualTo(new TextResult("Hello", "reverse", "olleH", 5));
  }

  @Test
  void stringResultReadsAsText() {
    var result = pit.execute("echo", Map.of("message", "héllo ✓"));

    assertThat(result.asText()).isEqualTo("héllo ✓");
    assertThat(result.isBinary()).isFalse();
  }

  @Test
  void noneResultIsNull() {
    assertThat(pit.execute("echo", Map.of("message", List.of())).asJson().isArray()).isTrue();
    var info = pit.execute("adapter_info");
    assertThat(info.asMap()).containsKeys("pid", "worker_id", "python_version", "counters");
  }

  @Test
  void toolsListsTheAdapterToolsWithParameters() {
    var tools = pit.tools();

    assertThat(tools).extracting(ToolInfo::name).contains("add", "echo", "stream_progress", "process_binary");
    var add = tools.stream().filter(t -> t.name().equals("add")).findFirst().orElseThrow();
    assertThat(add.parameters()).extracting(ToolInfo.ParameterInfo::name).containsExactly("a", "b");
    assertThat(add.parameters()).allSatisfy(p -> assertThat(p.required()).isTrue());
    var stream = tools.stream().filter(t -> t.name().equals("stream_progress")).findFirst().orElseThrow();
    assertThat(stream.supportsStreaming()).isTrue();
    assertThat(stream.parameters().getFirst().defaultJson()).isEqualTo("5");
  }

  @Test
  void concurrentAsyncCallsAllSucceedAndSpreadOverWorkers() {
    var futures = new ArrayList<CompletableFuture<ToolResult>>();
    for (int i = 0; i < 40; i++) {
      futures.add(pit.executeAsync("sleep", Map.of("ms", 5)));
    }

    var workers = new HashSet<String>();
    for (var future : futures) {
      workers.add(future.join().workerId());
    }

    assertThat(workers).hasSize(2);
    assertThat(pit.stats().busy()).isZero();
  }

  @Test
  void asyncContinuationsDoNotRunOnTransportThreads() {
    var thread = pit.executeAsync("add", Map.of("a", 1, "b", 1)).thenApply(r -> Thread.currentThread().getName()).join();

    assertThat(thread).doesNotContain("grpc-client");
  }

  @Test
  void unknownToolSuggestsTheClosestName() {
    assertThatThrownBy(() -> pit.execute("ad", Map.of("a", 1)))
        .isInstanceOfSatisfying(ToolNotFoundException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.TOOL_NOT_FOUND);
          assertThat(e.suggestion()).contains("add");
          assertThat(e.availableTools()).contains("add", "echo");
          assertThat(e.getMessage()).contains("Unknown tool 'ad'", "Did you mean 'add'?");
          assertThat(e.toolName()).contains("ad");
        });
  }

  @Test
  void missingArgumentNamesTheParameter() {
    assertThatThrownBy(() -> pit.execute("add", Map.of("a", 2)))
        .isInstanceOfSatisfying(InvalidArgumentsException.class, e -> {
          assertThat(e.parameter()).contains("b");
          assertThat(e.problem()).contains("missing");
          assertThat(e.getMessage()).contains("'b'");
        });
  }

  @Test
  void mistypedArgumentNamesExpectedAndReceivedTypes() {
    assertThatThrownBy(() -> pit.execute("add", Map.of("a", "two", "b", 2)))
        .isInstanceOfSatisfying(InvalidArgumentsException.class, e -> {
          assertThat(e.parameter()).contains("a");
          assertThat(e.expected()).contains("float");
          assertThat(e.received()).hasValueSatisfying(r -> assertThat(r).contains("str"));
        });
  }

  @Test
  void unexpectedArgumentIsRejected() {
    assertThatThrownBy(() -> pit.execute("add", Map.of("a", 1, "b", 2, "c", 3)))
        .isInstanceOfSatisfying(InvalidArgumentsException.class, e -> assertThat(e.parameter()).contains("c"));
  }

  @Test
  void argumentJacksonCannotWriteIsRejectedBeforeSending() {
    assertThatThrownBy(() -> pit.execute("echo", Map.of("message", new Object())))
        .isInstanceOfSatisfying(InvalidArgumentsException.class, e -> {
          assertThat(e.parameter()).contains("message");
          assertThat(e.received()).contains("java.lang.Object");
        });
  }

  @Test
  void pythonExceptionCarriesTypeMessageAndTraceback() {
    assertThatThrownBy(() -> pit.execute("fail", Map.of("error_type", "ZeroDivisionError", "message", "no divisor")))
        .isInstanceOfSatisfying(PythonException.class, e -> {
          assertThat(e.pythonType()).isEqualTo("ZeroDivisionError");
          assertThat(e.pythonMessage()).isEqualTo("no divisor");
          assertThat(e.traceback()).contains("Traceback", "showcase.py", "ZeroDivisionError: no divisor");
          assertThat(e.getMessage()).contains("Tool 'fail' raised ZeroDivisionError: no divisor", "Python traceback:");
          assertThat(e.workerId()).isPresent();
        });
  }

  @Test
  void customPythonExceptionKeepsItsQualifiedName() {
    assertThatThrownBy(() -> pit.execute("fail", Map.of("error_type", "Whatever")))
        .isInstanceOfSatisfying(PythonException.class, e -> assertThat(e.pythonType()).endsWith("ShowcaseError"));
  }

  @Test
  void failuresAreCountedInStats() {
    long failedBefore = pit.stats().failedCalls();
    long completedBefore = pit.stats().completedCalls();

    pit.execute("add", Map.of("a", 1, "b", 1));
    assertThatThrownBy(() -> pit.execute("fail")).isInstanceOf(PythonException.class);

    assertThat(pit.stats().completedCalls()).isGreaterThanOrEqualTo(completedBefore + 1);
    assertThat(pit.stats().failedCalls()).isGreaterThanOrEqualTo(failedBefore + 1);
  }
}
