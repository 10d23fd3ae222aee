package dev.snakepit.junit;

import dev.snakepit.SnakepitConfig;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Starts one pool for the test class before its first test, hands it to the tests, closes it after
 * the last one, then fails the class when a Python process or a library thread ({@code snakepit-*})
 * started by it is still alive (see {@link SnakepitLeakCheck}).
 *
 * <pre>{@code
 * @SnakepitTest(adapter = "my_pkg.adapters.MyAdapter", workers = 2, pythonPath = "src/test/python")
 * class MyAdapterTest {
 *   @Test
 *   void adds(Snakepit pit) {                  // a parameter of type Snakepit, or
 *     assertThat(pit.execute("add", Map.of("a", 1, "b", 2)).asLong()).isEqualTo(3);
 *   }
 *
 *   @SnakepitPool Snakepit pool;               // a field, static or not
 * }
 * }</pre>
 *
 * <p>Anything the annotation does not cover (listeners, host tools, interceptors) goes in a
 * {@link Configurer} named in {@link #configurers()}. Nested test classes share the enclosing
 * class's pool.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith({SnakepitLeakCheck.class, SnakepitExtension.class})
public @interface SnakepitTest {
  /** The adapter class, {@code module.Class}; default the showcase adapter. */
  String adapter() default SnakepitConfig.SHOWCASE_ADAPTER;

  /** Number of workers (default 1, to keep tests light). */
  int workers() default 1;

  /** Calls one worker runs at once. */
  int workerConcurrency() default 1;

  /** The pool's name, used in thread names and worker ids. */
  String poolName() default "junit";

  /** Directories put on the workers' {@code PYTHONPATH}, relative to the working directory. */
  String[] pythonPath() default {};

  /** The Python interpreter; empty for the default ({@code SNAKEPIT_PYTHON}, a {@code .venv} nearby, {@code python3}). */
  String python() default "";

  /** Worker environment variables as {@code NAME=value}. */
  String[] environment() default {};

  /** The pool's default call timeout in milliseconds. */
  long callTimeoutMillis() default 30_000;

  /** How long each worker may take to start, in milliseconds. */
  long startupTimeoutMillis() default 30_000;

  /** Classes (with a no-argument constructor) that finish the configuration, applied in order. */
  Class<? extends Configurer>[] configurers() default {};

  /** Finishes a test pool's configuration: listeners, interceptors, host tools, anything else. */
  @FunctionalInterface
  interface Configurer {
    /** Adjusts the builder already holding the annotation's settings. */
    void configure(SnakepitConfig.Builder builder);
  }
}
