package dev.snakepit.junit;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * The pool behind {@link SnakepitTest}: started in {@code beforeAll} from the annotation, injected
 * into {@link Snakepit} parameters and {@link SnakepitPool} fields, closed in {@code afterAll}.
 * Register it through the annotation (which also adds {@link SnakepitLeakCheck}, run after the
 * close).
 */
public final class SnakepitExtension implements BeforeAllCallback, AfterAllCallback, TestInstancePostProcessor,
    ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SnakepitExtension.class);
  private static final String POOL = "pool";

  @Override
  public void beforeAll(ExtensionContext context) {
    var testClass = context.getRequiredTestClass();
    var annotation = AnnotationSupport.findAnnotation(testClass, SnakepitTest.class);
    if (annotation.isEmpty()) {
      // A @Nested class (extensions of the enclosing class apply to it): it shares that class's pool.
      var shared = pool(context);
      if (shared == null) {
        throw new ExtensionConfigurationException(testClass.getName() + " uses SnakepitExtension without @SnakepitTest");
      }
      injectStatic(testClass, shared);
      return;
    }
    var pit = Snakepit.start(config(annotation.get(), testClass));
    context.getStore(NAMESPACE).put(POOL, pit);
    injectStatic(testClass, pit);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    var pit = context.getStore(NAMESPACE).remove(POOL, Snakepit.class);
    if (pit != null) {
      pit.close();
    }
  }

  @Override
  public void postProcessTestInstance(Object testInstance, ExtensionContext context) {
    var pit = pool(context);
    for (var field : poolFields(testInstance.getClass())) {
      if (!Modifier.isStatic(field.getModifiers())) {
        set(field, testInstance, pit);
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Snakepit.class && pool(context) != null;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return pool(context);
  }

  /** The pool of this test class or the nearest enclosing one, or null. */
  static Snakepit pool(ExtensionContext context) {
    return context.getStore(NAMESPACE).get(POOL, Snakepit.class);
  }

  /** The pool configuration the annotation describes, finished by its configurers. */
  static SnakepitConfig config(SnakepitTest annotation, Class<?> testClass) {
    try {
      var builder = SnakepitConfig.builder()
          .adapter(annotation.adapter())
          .workers(annotation.workers())
          .workerConcurrency(annotation.workerConcurrency())
          .poolName(annotation.poolName())
          .callTimeout(Duration.ofMillis(annotation.callTimeoutMillis()))
          .startupTimeout(Duration.ofMillis(annotation.startupTimeoutMillis()))
          .shutdownGrace(Duration.ofSeconds(2));
      for (var directory : annotation.pythonPath()) {
        builder.addPythonPath(Path.of(directory));
      }
      if (!annotation.python().isEmpty()) {
        builder.python(Path.of(annotation.python()));
      }
      for (var variable : annotation.environment()) {
        int eq = variable.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("environment entries must be NAME=value, was '" + variable + "'");
        }
        builder.workerEnvironment(variable.substring(0, eq), variable.substring(eq + 1));
      }
      for (var type : annotation.configurers()) {
        ReflectionSupport.newInstance(type).configure(builder);
      }
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ExtensionConfigurationException("@SnakepitTest on " + testClass.getName() + ": " + e.getMessage(), e);
    }
  }

  private static void injectStatic(Class<?> testClass, Snakepit pit) {
    for (var field : poolFields(testClass)) {
      if (Modifier.isStatic(field.getModifiers())) {
        set(field, null, pit);
      }
    }
  }

  private static java.util.List<Field> poolFields(Class<?> type) {
    var fields = AnnotationSupport.findAnnotatedFields(type, SnakepitPool.class, f -> true, HierarchyTraversalMode.TOP_DOWN);
    for (var field : fields) {
      if (field.getType() != Snakepit.class) {
        throw new ExtensionConfigurationException("@SnakepitPool field " + field + " must be of type " + Snakepit.class.getName());
      }
      if (Modifier.isFinal(field.getModifiers())) {
        throw new ExtensionConfigurationException("@SnakepitPool field " + field + " must not be final");
      }
    }
    return fields;
  }

  private static void set(Field field, Object target, Snakepit pit) {
    try {
      field.setAccessible(true);
      field.set(target, pit);
    } catch (IllegalAccessException | RuntimeException e) {
      throw new ExtensionConfigurationException("cannot inject the pool into " + field, e);
    }
  }
}
