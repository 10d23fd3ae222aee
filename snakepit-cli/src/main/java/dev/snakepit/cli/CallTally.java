package dev.snakepit.cli;

import dev.snakepit.SnakepitException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The outcomes of chaos calls: ok, failed with a typed error (by exception type), and lost (an
 * untyped error, or no answer at all). Thread-safe.
 */
final class CallTally {
  private final AtomicInteger ok = new AtomicInteger();
  private final AtomicInteger unanswered = new AtomicInteger();
  private final Map<String, AtomicInteger> typed = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> untyped = new ConcurrentHashMap<>();

  /** Counts one answered call: {@code error} null for success. */
  void record(Throwable error) {
    if (error == null) {
      ok.incrementAndGet();
      return;
    }
    var cause = unwrap(error);
    var bucket = cause instanceof SnakepitException ? typed : untyped;
    bucket.computeIfAbsent(cause.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
  }

  /** Counts one call that never answered. */
  void recordUnanswered() {
    unanswered.incrementAndGet();
  }

  /** The exception a future's wrapper stands for. */
  static Throwable unwrap(Throwable error) {
    return (error instanceof CompletionException || error instanceof ExecutionException) && error.getCause() != null
        ? error.getCause()
        : error;
  }

  int ok() {
    return ok.get();
  }

  int typedFailures() {
    return typed.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** Calls lost: untyped errors plus calls that never answered. */
  int lost() {
    return unanswered.get() + untyped.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** Typed failures by exception type, sorted. */
  Map<String, AtomicInteger> typedByType() {
    return new TreeMap<>(typed);
  }

  /** Untyped failures by exception type, sorted. */
  Map<String, AtomicInteger> untypedByType() {
    return new TreeMap<>(untyped);
  }

  /** The report's lines for calls ok, failed typed and lost, as {@code snakepit chaos} prints them. */
  void print(java.io.PrintWriter out, Terminal term) {
    int failed = typedFailures();
    long lost = lost();
    out.println("  calls ok                 " + ok());
    out.println("  calls failed, typed      " + failed + (failed == 0 ? "" : "  " + typedByType()));
    out.println("  calls lost               " + (lost == 0 ? term.green("0") : term.red(Long.toString(lost)))
        + (untyped.isEmpty() ? "" : "  untyped: " + untypedByType()));
  }
}
