package dev.snakepit.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.PythonException;
import dev.snakepit.ToolNotFoundException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ErrorDecoderTest {

  @Test
  void toolNotFoundCarriesSortedToolsAndASuggestion() {
    var error = ErrorDecoder.decode(
        "{\"type\":\"ToolNotFoundError\",\"message\":\"Unknown tool\",\"context\":{\"available_tools\":[\"echo\",\"add\"]}}",
        "ech", "w1");

    assertThat(error).isInstanceOfSatisfying(ToolNotFoundException.class, e -> {
      assertThat(e.availableTools()).containsExactly("add", "echo");
      assertThat(e.suggestion()).contains("echo");
      assertThat(e.workerId()).contains("w1");
    });
  }

  @Test
  void invalidArgumentsKeepsParameterExpectedAndReceived() {
    var error = ErrorDecoder.decode("{\"type\":\"InvalidArgumentsError\",\"message\":\"Missing b\",\"context\":"
        + "{\"parameter\":\"b\",\"expected\":\"int\",\"received\":null,\"problem\":\"missing\"}}", "add", "w1");

    assertThat(error).isInstanceOfSatisfying(InvalidArgumentsException.class, e -> {
      assertThat(e.parameter()).contains("b");
      assertThat(e.expected()).contains("int");
      assertThat(e.received()).isEmpty();
      assertThat(e.problem()).contains("missing");
      assertThat(e.getMessage()).isEqualTo("Missing b");
    });
  }

  @Test
  void tracebackFallsBackToStacktraceLines() {
    var error = ErrorDecoder.decode("{\"type\":\"KeyError\",\"message\":\"'x'\",\"stacktrace\":[\"line 1\",\"line 2\"]}", "t", "w");

    assertThat(error).isInstanceOfSatisfying(PythonException.class, e -> assertThat(e.traceback()).isEqualTo("line 1\nline 2"));
  }

  @Test
  void plainTextFromAForeignWorkerIsKeptWhole() {
    var error = ErrorDecoder.decode("something broke", "t", "w");

    assertThat(error).isInstanceOfSatisfying(PythonException.class, e -> {
      assertThat(e.pythonType()).isEqualTo("UnknownError");
      assertThat(e.pythonMessage()).isEqualTo("something broke");
    });
  }

  @Test
  void closestSuggestsOnlyLikelyTypos() {
    var tools = List.of("add", "echo", "stream_progress", "process_text");

    assertThat(ErrorDecoder.closest("stream_progres", tools)).isEqualTo("stream_progress");
    assertThat(ErrorDecoder.closest("ADD", tools)).isEqualTo("add");
    assertThat(ErrorDecoder.closest("stream", tools)).isEqualTo("stream_progress");
    assertThat(ErrorDecoder.closest("completely_different", tools)).isNull();
  }
}
