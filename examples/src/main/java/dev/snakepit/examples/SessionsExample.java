package dev.snakepit.examples;

import dev.snakepit.Affinity;
import dev.snakepit.CallOptions;
import dev.snakepit.PoolSaturatedException;
import dev.snakepit.SessionException;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import java.io.PrintStream;
import java.util.HashSet;
import java.util.Map;

/**
 * Sessions: calls of one session land on the worker its first call was bound to, so state Python
 * keeps per session is there on the next call; then the three affinity modes side by side, while
 * the session's worker is busy and after it died.
 *
 * <p>Run: {@code java -jar examples/target/snakepit-examples.jar sessions}
 */
public final class SessionsExample {
  private SessionsExample() {}

  /** Runs the example, printing to stdout. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example, printing what it does to {@code out}. */
  public static void run(PrintStream out) {
    try (var pit = Snakepit.start(SnakepitConfig.builder().workers(3).build())) {
      // 1. Five calls of one session: one worker, and a counter kept in that Python process.
      try (var session = pit.session("shopping-cart-7", Affinity.STRICT_QUEUE)) {
        var workers = new HashSet<String>();
        long counter = 0;
        for (int i = 0; i < 5; i++) {
          var result = session.execute("session_counter", Map.of("increment", 1));
          workers.add(result.workerId());
          counter = ((Number) result.asMap().get("counter")).longValue();
        }
        out.println("5 calls of session " + session.id() + " ran on " + workers.size() + " worker(s) " + workers
            + "; the Python-side counter reached " + counter);
      }

      // 2. Affinity modes while the bound worker is busy.
      try (var session = pit.session("report-builder", Affinity.HINT)) {
        var bound = session.execute("add", Map.of("a", 1, "b", 1)).workerId();
        long busySent = System.nanoTime();
        var busy = session.executeAsync("sleep", Map.of("ms", 500));
        awaitBusy(pit);

        var hint = session.execute("add", Map.of("a", 2, "b", 2));
        out.println("HINT while " + bound + " is busy: ran on another worker: " + !hint.workerId().equals(bound));
        try {
          session.execute("add", Map.of("a", 3, "b", 3), CallOptions.defaults().withAffinity(Affinity.STRICT_FAIL_FAST));
        } catch (PoolSaturatedException e) {
          out.println("STRICT_FAIL_FAST while busy: " + e.reason());
        }
        var strict = session.execute("add", Map.of("a", 4, "b", 4), CallOptions.defaults().withAffinity(Affinity.STRICT_QUEUE));
        // Measured from here: busy's own future completes on a callback thread, possibly a moment later.
        boolean afterBusy = System.nanoTime() - busySent >= java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(500);
        out.println("STRICT_QUEUE while busy: waited, then ran on the bound worker: " + strict.workerId().equals(bound)
            + " (after the 500 ms busy call: " + afterBusy + ")");
        busy.join();
      }

      // 3. A strict session whose worker dies fails loudly instead of losing its state silently.
      try (var session = pit.session("model-training", Affinity.STRICT_QUEUE)) {
        session.execute("session_counter", Map.of("increment", 10));
        var pid = ((Number) session.execute("adapter_info", Map.of()).asMap().get("pid")).longValue();
        var bound = session.boundWorkerId();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        while (pit.workerIds().contains(bound)) {
          Thread.onSpinWait();
        }
        try {
          session.execute("session_counter", Map.of("increment", 1));
        } catch (SessionException e) {
          out.println("after its worker was killed, the strict session says: " + e.reason());
        }
      }
      try (var session = pit.session("cache-warmup", Affinity.HINT)) {
        session.execute("session_counter", Map.of());
        out.println("a HINT session simply rebinds when its worker is gone; sessions open: " + pit.stats().sessions());
      }
    }
  }

  private static void awaitBusy(Snakepit pit) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (pit.stats().busy() == 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
  }
}
