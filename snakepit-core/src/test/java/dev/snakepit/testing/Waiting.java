package dev.snakepit.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a bound, instead of sleeping for a guessed time. */
public final class Waiting {
  private Waiting() {}

  /** Polls {@code condition} until it holds or {@code bound} passes; returns whether it held. */
  public static boolean until(String what, Duration bound, BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
    }
  }

  /** Like {@link #until} but fails with {@code what} when the bound passes. */
  public static void require(String what, Duration bound, BooleanSupplier condition) {
    if (!until(what, bound, condition)) {
      throw new AssertionError("Timed out after " + bound.toMillis() + " ms waiting for: " + what);
    }
  }
}
