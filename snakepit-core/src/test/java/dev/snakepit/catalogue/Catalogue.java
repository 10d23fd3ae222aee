package dev.snakepit.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * The checks every case of the bad-input catalogue (docs/reliability.md) makes: the failure is the
 * expected type, its message names what was wrong and what to do, and the pool serves the next
 * call with its counts back at rest. Leaks are checked per class by {@code LeakCheck}.
 */
final class Catalogue {
  static final Duration BOUND = Duration.ofSeconds(30);
  static final String HOSTILE = "snakepit_test_adapters.hostile.HostileAdapter";

  private Catalogue() {}

  /** A small pool of the hostile adapter. */
  static SnakepitConfig.Builder hostilePool() {
    return TestPools.config().poolName("catalogue").adapter(HOSTILE);
  }

  /**
   * Runs {@code call}, asserts it fails with {@code type} (unwrapping async wrappers) and that the
   * message contains every fragment (case-insensitive); returns the failure for further checks.
   */
  static <T extends Throwable> T fails(ThrowingCallable call, Class<T> type, String... fragments) {
    Throwable[] caught = new Throwable[1];
    assertThatThrownBy(() -> {
      try {
        call.call();
      } catch (Throwable t) {
        caught[0] = unwrap(t);
        throw t;
      }
    }).isNotNull();
    var failure = caught[0];
    // One line per case, for the table in docs/reliability.md.
    System.out.println("CATALOGUE " + failure.getClass().getSimpleName() + ": "
        + String.valueOf(failure.getMessage()).lines().findFirst().orElse(""));
    assertThat(failure).as("the failure of the call").isInstanceOf(type);
    for (var fragment : fragments) {
      assertThat(failure.getMessage()).as("message of " + failure.getClass().getSimpleName()).containsIgnoringCase(fragment);
    }
    return type.cast(failure);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The pool answers a plain call, and no call stays busy or queued. */
  static void servesNextCall(Snakepit pit) {
    assertThat(pit.execute("add", Map.of("a", 40, "b", 2)).asLong()).isEqualTo(42);
    Waiting.require("the pool's counts to return to rest", BOUND,
        () -> pit.stats().busy() == 0 && pit.stats().queued() == 0);
  }
}
