package dev.snakepit.examples;

import dev.snakepit.CallOptions;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StreamChunk;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streaming tools (Python generators): read the chunks with an iterator, receive them in a
 * callback, and close a stream early, which stops the generator in Python.
 *
 * <p>Run: {@code java -cp examples/target/snakepit-examples.jar dev.snakepit.examples.StreamingExample}
 */
public final class StreamingExample {
  /**
   * One update of the showcase tool {@code stream_progress} (fields it also sends are ignored).
   *
   * @param step the update's number, from 1
   * @param total how many updates the stream has
   * @param progress percent done
   * @param message a human-readable line
   */
  public record Progress(int step, int total, double progress, String message) {}

  private StreamingExample() {}

  /** Runs the example, printing to stdout. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example, printing what it does to {@code out}. */
  public static void run(PrintStream out) {
    try (var pit = Snakepit.start(SnakepitConfig.builder().workers(1).build())) {
      iteratorForm(pit, out);
      callbackForm(pit, out);
      closingEarly(pit, out);
    }
  }

  /** Pull the chunks one by one; each arrives as soon as Python yields it. */
  private static void iteratorForm(Snakepit pit, PrintStream out) {
    out.println("1. Iterator: stream_progress(steps=4)");
    try (var stream = pit.stream("stream_progress", Map.of("steps", 4, "delay_ms", 50))) {
      while (stream.hasNext()) {
        StreamChunk chunk = stream.next();
        if (chunk.isEmpty()) {
          continue; // a stream may end with an empty closing chunk
        }
        var update = chunk.as(Progress.class);
        out.println("   chunk " + chunk.sequence() + ": " + update.message() + " (" + update.progress() + "%)"
            + (chunk.isFinal() ? " [final]" : ""));
      }
    }
  }

  /** Have each chunk pushed to a callback; the future completes when the stream ends. */
  private static void callbackForm(Snakepit pit, PrintStream out) {
    out.println("2. Callback: stream_progress(steps=3)");
    var received = new AtomicInteger();
    pit.stream("stream_progress", Map.of("steps", 3, "delay_ms", 50), CallOptions.defaults(), chunk -> {
      if (!chunk.isEmpty()) {
        received.incrementAndGet();
        out.println("   callback got: " + chunk.as(Progress.class).message());
      }
    }).join();
    out.println("   stream done, " + received.get() + " chunks");
  }

  /** Stop reading before the end: closing the stream cancels the call and the Python generator. */
  private static void closingEarly(Snakepit pit, PrintStream out) {
    out.println("3. Closing early: stream_progress(steps=1000), read 3 chunks, then close");
    long start = System.nanoTime();
    int read = 0;
    try (var stream = pit.stream("stream_progress", Map.of("steps", 1000, "delay_ms", 20))) {
      while (stream.hasNext() && read < 3) {
        stream.next();
        read++;
      }
    } // close() here cancels the rest: the generator's finally block runs in Python
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    out.println("   read " + read + " of 1000 chunks and closed the stream after " + elapsedMs
        + " ms (all 1000 would take 20 s)");
    long sum = pit.execute("add", Map.of("a", 1, "b", 1)).asLong();
    out.println("   the worker is free again: add(1, 1) = " + sum);
  }
}
