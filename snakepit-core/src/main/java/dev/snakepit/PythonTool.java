package dev.snakepit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a typed client interface as a call of the Python tool {@link #name()}; see
 * {@link Snakepit#client(Class)}. {@code snakepit codegen} writes these interfaces.
 *
 * <p>The method's return type says how the call runs: {@code CompletableFuture<T>} without
 * blocking, {@code Stream<T>} as a stream of chunks (close it), anything else blocking. Results
 * and chunks are mapped onto {@code T} through Jackson ({@code byte[]} takes a bytes result as it
 * is, {@code Optional<T>} is empty for a {@code None} result, {@code void} ignores the result).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface PythonTool {
  /** The tool's name as the adapter registers it. */
  String name();

  /** Whether the tool streams (informational: the return type decides how it is called). */
  boolean streaming() default false;
}
