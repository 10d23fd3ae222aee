package dev.snakepit.spring.boot;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a Spring bean as a host tool that Python tools can call
 * ({@code ctx.call_host_tool("name", **kwargs)}). The method's parameters become the tool's
 * parameters, by name (compile with {@code -parameters}, as Spring Boot's build does); a
 * {@link dev.snakepit.HostToolContext} parameter receives the call's context instead. Arguments are
 * converted to the parameter types with Jackson; the return value travels back as JSON.
 *
 * <pre>{@code
 * @Component
 * class Prices {
 *   @HostToolMethod(description = "The current price of a product")
 *   double price(String sku) { ... }
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface HostToolMethod {
  /** The tool's name (default: the method's name). */
  String name() default "";

  /** What the tool does, shown to Python. */
  String description() default "";

  /** The pools that get the tool (default: every pool). */
  String[] pools() default {};
}
