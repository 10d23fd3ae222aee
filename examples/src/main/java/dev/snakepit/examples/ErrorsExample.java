package dev.snakepit.examples;

import dev.snakepit.CallOptions;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.PoolSaturatedException;
import dev.snakepit.PythonException;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.StartupFailedException;
import dev.snakepit.ToolNotFoundException;
import dev.snakepit.WorkerCrashedException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;

/**
 * Every failure is a {@link SnakepitException}, a sealed family of unchecked exceptions. This
 * example provokes the common ones and handles them with one {@code switch} over the type.
 *
 * <p>Run: {@code java -cp examples/target/snakepit-examples.jar dev.snakepit.examples.ErrorsExample}
 */
public final class ErrorsExample {
  private ErrorsExample() {}

  /** Runs the example, printing to stdout. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example, printing what it does to {@code out}. */
  public static void run(PrintStream out) {
    try (var pit = Snakepit.start(SnakepitConfig.builder().workers(1).build())) {
      attempt(out, "1. unknown tool 'ad'", () -> pit.execute("ad", Map.of("a", 1, "b", 2)));
      attempt(out, "2. add without 'b'", () -> pit.execute("add", Map.of("a", 1)));
      attempt(out, "3. add with b=\"two\"", () -> pit.execute("add", Map.of("a", 1, "b", "two")));
      attempt(out, "4. a Python exception", () -> pit.execute("fail", Map.of("error_type", "KeyError", "message", "no such user")));
      attempt(out, "5. a 200 ms budget for a 5 s sleep",
          () -> pit.execute("sleep", Map.of("ms", 5_000), CallOptions.defaults().withTimeout(Duration.ofMillis(200))));
      out.println("The pool is fine after all that: add(2, 2) = " + pit.execute("add", Map.of("a", 2, "b", 2)).asLong()
          + "; " + pit.stats().failedCalls() + " calls failed, " + pit.stats().crashes() + " workers crashed");
    }

    // One worker and no wait queue: while the worker is busy, the next call is rejected at once.
    var tiny = SnakepitConfig.builder().poolName("tiny").workers(1).queueCapacity(0).build();
    try (var pit = Snakepit.start(tiny)) {
      var longCall = pit.executeAsync("sleep", Map.of("ms", 5_000));
      attempt(out, "6. a call while the only worker is busy and there is no queue", () -> pit.execute("ping"));
      longCall.cancel(true); // cancelling the future cancels the sleep in Python too
    }
  }

  private static void attempt(PrintStream out, String what, Runnable call) {
    try {
      call.run();
      out.println(what + ": no error?");
    } catch (SnakepitException e) {
      out.println(what + "\n   -> " + e.getClass().getSimpleName() + " [" + e.code() + "]: " + describe(e));
    }
  }

  /** One switch over the sealed family: each type carries the details that matter for it. */
  static String describe(SnakepitException error) {
    return switch (error) {
      case ToolNotFoundException e -> "no tool '" + e.toolName().orElse("?") + "'"
          + e.suggestion().map(s -> ", did you mean '" + s + "'?").orElse("")
          + " (" + e.availableTools().size() + " tools available)";
      case InvalidArgumentsException e -> "parameter '" + e.parameter().orElse("?") + "' (" + e.problem().orElse("invalid")
          + "): " + e.getMessage();
      case PythonException e -> "Python raised " + e.pythonType() + "(" + e.pythonMessage() + "); traceback ends with: "
          + e.traceback().strip().lines().reduce((first, second) -> second).orElse("");
      case CallTimeoutException e -> "gave up after " + e.timeout().toMillis() + " ms while " + e.phase()
          + (e.phase() == CallTimeoutException.Phase.RUNNING ? ", and Python was told to cancel" : "");
      case PoolSaturatedException e -> "rejected (" + e.reason() + "): " + e.workers() + " worker(s), " + e.busy()
          + " busy, " + e.queued() + " queued";
      case WorkerCrashedException e -> "the worker died" + (e.exitCode().isPresent() ? " with exit code " + e.exitCode().getAsInt() : "");
      case StartupFailedException e -> "a worker could not start: " + e.getMessage().lines().findFirst().orElse("");
      // The remaining types (pool closed, payload too large, transport, ...) say it all in their message.
      default -> error.getMessage();
    };
  }
}
