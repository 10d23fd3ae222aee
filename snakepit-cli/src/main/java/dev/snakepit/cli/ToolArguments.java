package dev.snakepit.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the {@code NAME=VALUE} words of {@code snakepit call} into tool arguments.
 *
 * <ul>
 *   <li>A value that is exactly one JSON value is sent as that value: {@code a=2} is the number 2,
 *       {@code flag=true} a boolean, {@code xs=[1,2]} a list, {@code opts={"k":1}} an object.
 *   <li>Anything else is sent as a string: {@code text=hello}, {@code when=2024-01-01}. Quote JSON to
 *       force a string: {@code text='"123"'}.
 *   <li>{@code NAME=@FILE} sends the file's bytes (raw, as a binary parameter); {@code NAME=@-} reads
 *       them from stdin; {@code NAME=@@text} sends the string {@code @text}.
 * </ul>
 */
final class ToolArguments {
  private ToolArguments() {}

  /**
   * Parses every word, in order.
   *
   * @param stdin where {@code @-} reads from
   * @throws IllegalArgumentException naming the word, when a word has no {@code =} or no name,
   *     repeats a name, or names a file that cannot be read
   */
  static Map<String, Object> parse(List<String> words, InputStream stdin) {
    var arguments = new LinkedHashMap<String, Object>();
    boolean stdinUsed = false;
    for (var word : words) {
      int eq = word.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("argument '" + word + "' is not NAME=VALUE (for example a=2 or text=hello)");
      }
      var name = word.substring(0, eq).strip();
      if (name.isEmpty()) {
        throw new IllegalArgumentException("argument '" + word + "' has no name before '='");
      }
      if (arguments.containsKey(name)) {
        throw new IllegalArgumentException("argument '" + name + "' is given twice");
      }
      var raw = word.substring(eq + 1);
      Object value;
      if (raw.equals("@-")) {
        if (stdinUsed) {
          throw new IllegalArgumentException("only one argument can read stdin (@-), but '" + name + "' asks too");
        }
        stdinUsed = true;
        value = readStdin(name, stdin);
      } else if (raw.startsWith("@@")) {
        value = raw.substring(1);
      } else if (raw.startsWith("@") && raw.length() > 1) {
        value = readFile(name, Path.of(raw.substring(1)));
      } else {
        value = parseValue(raw);
      }
      arguments.put(name, value);
    }
    return arguments;
  }

  /** The value of {@code text}: its JSON value when it is exactly one JSON value, else the text itself. */
  static Object parseValue(String text) {
    return CliJson.parseStrict(text).<Object>map(node -> node.isTextual() ? node.textValue() : node).orElse(text);
  }

  private static byte[] readFile(String name, Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("argument '" + name + "': no such file '" + file + "' (write @@ for a value starting with @)");
    } catch (IOException | OutOfMemoryError e) {
      throw new IllegalArgumentException("argument '" + name + "': cannot read '" + file + "': " + e.getMessage());
    }
  }

  private static byte[] readStdin(String name, InputStream stdin) {
    try {
      return stdin.readAllBytes();
    } catch (IOException e) {
      throw new IllegalArgumentException("argument '" + name + "': cannot read stdin: " + e.getMessage());
    }
  }
}
