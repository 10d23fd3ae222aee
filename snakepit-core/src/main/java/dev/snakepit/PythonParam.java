package dev.snakepit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the Python parameter a parameter of a {@link PythonTool} method is sent as. An
 * {@code Optional} parameter that is empty is left out (Python uses its default); any other value,
 * null included, is sent.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface PythonParam {
  /** The parameter's name in the Python tool's signature. */
  String value();
}
