package dev.snakepit.junit;

import dev.snakepit.testsupport.LeakCheck;

/**
 * Fails a test class that leaves a child process (a Python worker, or anything a tool spawned), a
 * library thread ({@code snakepit-*}) or a pool's temporary run directory behind after its last test.
 * Compares with what was running before its first test, and waits a bounded time (system property
 * {@value #TIMEOUT_PROPERTY}), since processes and threads end asynchronously after a pool closes.
 * Leaked processes are killed after the check, so one leak does not spill into the next class.
 *
 * <p>{@link SnakepitTest} includes it; use it alone with {@code @ExtendWith(SnakepitLeakCheck.class)}
 * on tests that start their own pools. The check itself lives in {@code snakepit-test-support},
 * which the project's own tests use too.
 */
public final class SnakepitLeakCheck extends LeakCheck {
  /** Thread names the library uses. */
  public static final String THREAD_PREFIX = LeakCheck.THREAD_PREFIX;

  /** System property: how long (ms) to wait for processes and threads to end before failing (default 10000). */
  public static final String TIMEOUT_PROPERTY = LeakCheck.TIMEOUT_PROPERTY;
}
