package dev.snakepit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Runs the CLI in-process, as the shell would, and captures what it prints. */
final class Cli {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Cli() {}

  /** What one run of the CLI did. */
  record Run(int exitCode, String out, String err) {
    /** Stdout parsed as one JSON document. */
    JsonNode outJson() {
      return parse(out);
    }

    /** Stderr parsed as one JSON document (the error report of a failed call). */
    JsonNode errJson() {
      return parse(err);
    }

    /** Stdout's lines. */
    List<String> outLines() {
      return out.lines().toList();
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
  }

  /** Runs {@code snakepit args...} with an empty stdin. */
  static Run run(String... args) {
    return runWithStdin(new ByteArrayInputStream(new byte[0]), args);
  }

  /** Runs {@code snakepit args...} reading {@code @-} arguments from {@code stdin}. */
  static Run runWithStdin(InputStream stdin, String... args) {
    return run(Terminal.plain(), stdin, args);
  }

  /** Runs {@code snakepit args...} as if its output went to {@code terminal}. */
  static Run runOn(Terminal terminal, String... args) {
    return run(terminal, new ByteArrayInputStream(new byte[0]), args);
  }

  private static Run run(Terminal terminal, InputStream stdin, String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    int code = SnakepitCli.commandLine(terminal, stdin, new PrintWriter(out, true), new PrintWriter(err, true))
        .execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }
}
