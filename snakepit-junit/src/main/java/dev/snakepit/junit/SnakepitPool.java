package dev.snakepit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field of type {@link dev.snakepit.Snakepit} that the {@link SnakepitTest} pool is injected
 * into: static fields before the first test, instance fields into each test instance.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface SnakepitPool {}
