package dev.snakepit.examples;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs the examples by name, for {@code java -jar snakepit-examples.jar [basic|streaming|binary|errors|sessions|bidirectional|all]}
 * (default: all).
 */
public final class Examples {
  private static final Map<String, Consumer<PrintStream>> EXAMPLES = new LinkedHashMap<>();

  static {
    EXAMPLES.put("basic", BasicExample::run);
    EXAMPLES.put("streaming", StreamingExample::run);
    EXAMPLES.put("binary", BinaryExample::run);
    EXAMPLES.put("errors", ErrorsExample::run);
    EXAMPLES.put("sessions", SessionsExample::run);
    EXAMPLES.put("bidirectional", BidirectionalToolsExample::run);
  }

  private Examples() {}

  /** Runs the named examples in order; exits 2 on an unknown name. */
  public static void main(String[] args) {
    var names = args.length == 0 ? new String[] {"all"} : args;
    for (var name : names) {
      var key = name.toLowerCase(Locale.ROOT).replace("example", "");
      if (key.equals("all")) {
        EXAMPLES.forEach(Examples::runOne);
      } else if (EXAMPLES.containsKey(key)) {
        runOne(key, EXAMPLES.get(key));
      } else {
        System.err.println("Unknown example '" + name + "'. Choose from: " + String.join(", ", EXAMPLES.keySet()) + ", all");
        System.exit(2);
      }
    }
  }

  private static void runOne(String name, Consumer<PrintStream> example) {
    System.out.println("=== " + name + " ===");
    example.accept(System.out);
    System.out.println();
  }
}
