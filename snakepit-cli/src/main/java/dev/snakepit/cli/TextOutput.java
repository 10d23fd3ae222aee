package dev.snakepit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Where the tooling commands put what they make: a file ({@code -o}) or stdout; and how they fail. */
final class TextOutput {
  private TextOutput() {}

  /**
   * Writes {@code text} to {@code file} and prints {@code "wrote FILE" + summary}, or prints the
   * text itself when {@code file} is null.
   */
  static void writeOrPrint(CommandLine commandLine, Path file, String text, String summary) throws IOException {
    var out = commandLine.getOut();
    if (file != null) {
      Files.writeString(file, text);
      out.println("wrote " + file + summary);
    } else {
      out.print(text);
    }
    out.flush();
  }

  /** Prints {@code snakepit COMMAND: message} on stderr and returns exit code 1. */
  static int fail(CommandLine commandLine, String message) {
    var err = commandLine.getErr();
    err.println(commandLine.getCommandSpec().qualifiedName(" ") + ": " + message);
    err.flush();
    return 1;
  }
}
