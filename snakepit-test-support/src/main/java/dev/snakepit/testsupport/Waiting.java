package dev.snakepit.testsupport;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a bound, instead of sleeping for a guessed time. */
public final class Waiting {
  private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private Waiting() {}

  /** Polls {@code condition} until it holds or {@code bound} passes; returns whether it held. */
  public static boolean until(String what, Duration bound, BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(PAUSE_NANOS);
    }
  }

  /** Like {@link #until} but fails with {@code what} when the bound passes. */
  public static void require(String what, Duration bound, BooleanSupplier condition) {
    require(what, bound, condition, () -> "");
  }

  /** Like {@link #require(String, Duration, BooleanSupplier)}, adding {@code diagnostics} to the failure. */
  public static void require(String what, Duration bound, BooleanSupplier condition, Supplier<String> diagnostics) {
    if (!until(what, bound, condition)) {
      var detail = diagnostics.get();
      throw new AssertionError("Timed out after " + bound.toMillis() + " ms waiting for: " + what
          + (detail.isEmpty() ? "" : "\n" + detail));
    }
  }
}
