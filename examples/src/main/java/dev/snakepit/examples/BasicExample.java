package dev.snakepit.examples;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.ToolResult;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The basics: start a pool of Python workers, call a tool, map a JSON result onto a record, and
 * run several calls in parallel with {@code executeAsync}.
 *
 * <p>Run: {@code java -cp examples/target/snakepit-examples.jar dev.snakepit.examples.BasicExample}
 */
public final class BasicExample {
  /**
   * What the showcase tool {@code process_text} returns, mapped by Jackson from its JSON object.
   *
   * @param original the text sent
   * @param operation upper, lower or reverse
   * @param result the transformed text
   * @param length the text's length
   */
  public record TextResult(String original, String operation, String result, int length) {}

  private BasicExample() {}

  /** Runs the example, printing to stdout. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example, printing what it does to {@code out}. */
  public static void run(PrintStream out) {
    // One long-lived pool per adapter; try-with-resources stops every worker at the end.
    var config = SnakepitConfig.builder()
        .adapter(SnakepitConfig.SHOWCASE_ADAPTER)
        .workers(2)
        .build();
    try (var pit = Snakepit.start(config)) {
      out.println("Started " + pit.workerIds().size() + " Python workers: " + String.join(", ", pit.workerIds()));

      // 1. A call with a plain result.
      long sum = pit.execute("add", Map.of("a", 2, "b", 3)).asLong();
      out.println("add(2, 3) = " + sum);

      // 2. A JSON object mapped onto a record.
      TextResult upper = pit.execute("process_text", Map.of("text", "Snakepit", "operation", "upper"))
          .as(TextResult.class);
      out.println("process_text as a record: " + upper);

      // 3. Several calls at once: executeAsync returns at once; the pool spreads the calls over its workers.
      var words = List.of("alpha", "beta", "gamma", "delta");
      List<CompletableFuture<ToolResult>> calls = words.stream()
          .map(word -> pit.executeAsync("process_text", Map.of("text", word, "operation", "reverse")))
          .toList();
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
      out.println("Reversed " + words.size() + " words in parallel:");
      for (var call : calls) {
        var result = call.join();
        var text = result.as(TextResult.class);
        out.println("  " + text.original() + " -> " + text.result() + "  (on " + result.workerId() + ")");
      }

      var stats = pit.stats();
      out.println("Pool: " + stats.workers() + " workers, " + stats.completedCalls() + " calls completed, "
          + stats.failedCalls() + " failed");
    }
    out.println("Pool closed: no Python process is left.");
  }
}
