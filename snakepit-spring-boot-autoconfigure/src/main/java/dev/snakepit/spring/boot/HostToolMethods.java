package dev.snakepit.spring.boot;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.snakepit.HostTool;
import dev.snakepit.HostToolContext;
import dev.snakepit.ParamSpec;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/** Turns the {@link HostToolMethod} methods of a bean into {@link HostTool}s. */
final class HostToolMethods {
  private static final ObjectMapper MAPPER = JsonMapper.builder().findAndAddModules().build();

  /** One annotated method bound to its bean. */
  record Found(HostToolMethod annotation, HostTool tool) {
    boolean appliesTo(String poolName) {
      return annotation.pools().length == 0 || List.of(annotation.pools()).contains(poolName);
    }
  }

  private HostToolMethods() {}

  /** Whether the bean class has annotated methods (cheap enough to call for every bean). */
  static boolean hasAny(Class<?> beanType) {
    return !MethodIntrospector.selectMethods(ClassUtils.getUserClass(beanType),
        (MethodIntrospector.MetadataLookup<HostToolMethod>) m -> AnnotatedElementUtils.findMergedAnnotation(m, HostToolMethod.class))
        .isEmpty();
  }

  /** The host tools of one bean. */
  static List<Found> of(Object bean, String beanName) {
    var methods = MethodIntrospector.selectMethods(ClassUtils.getUserClass(bean.getClass()),
        (MethodIntrospector.MetadataLookup<HostToolMethod>) m -> AnnotatedElementUtils.findMergedAnnotation(m, HostToolMethod.class));
    var found = new ArrayList<Found>();
    methods.forEach((method, annotation) -> found.add(new Found(annotation, toTool(bean, beanName, method, annotation))));
    return found;
  }

  private static HostTool toTool(Object bean, String beanName, Method declared, HostToolMethod annotation) {
    var method = ClassUtils.getMostSpecificMethod(declared, bean.getClass());
    ReflectionUtils.makeAccessible(method);
    var name = annotation.name().isEmpty() ? method.getName() : annotation.name();
    var builder = HostTool.builder(name)
        .description(annotation.description().isEmpty() ? beanName + "." + method.getName() : annotation.description())
        .metadata("bean", beanName);
    var parameters = method.getParameters();
    var types = new JavaType[parameters.length];
    for (int i = 0; i < parameters.length; i++) {
      var parameter = parameters[i];
      if (parameter.getType() == HostToolContext.class) {
        continue;
      }
      if (!parameter.isNamePresent()) {
        throw new IllegalStateException("@HostToolMethod " + method + " needs its parameter names: compile with -parameters");
      }
      types[i] = MAPPER.getTypeFactory().constructType(parameter.getParameterizedType());
      builder.param(spec(parameter));
    }
    builder.handler((arguments, context) -> invoke(bean, method, parameters, types, arguments, context));
    return builder.build();
  }

  private static ParamSpec spec(Parameter parameter) {
    var type = parameter.getType();
    return type == Optional.class
        ? ParamSpec.optional(parameter.getName(), ParamSpec.ANY, "")
        : ParamSpec.required(parameter.getName(), typeOf(type), "");
  }

  private static String typeOf(Class<?> type) {
    if (type == String.class || type == char.class || type == Character.class) {
      return ParamSpec.STRING;
    }
    if (type == boolean.class || type == Boolean.class) {
      return ParamSpec.BOOLEAN;
    }
    if (type == int.class || type == long.class || type == short.class || type == byte.class
        || type == Integer.class || type == Long.class || type == Short.class || type == BigInteger.class) {
      return ParamSpec.INTEGER;
    }
    if (type == double.class || type == float.class || type == Double.class || type == Float.class || type == BigDecimal.class) {
      return ParamSpec.NUMBER;
    }
    if (type == byte[].class) {
      return ParamSpec.BYTES;
    }
    if (type.isArray() || Collection.class.isAssignableFrom(type)) {
      return ParamSpec.ARRAY;
    }
    if (Map.class.isAssignableFrom(type) || type.isRecord()) {
      return ParamSpec.OBJECT;
    }
    return ParamSpec.ANY;
  }

  private static Object invoke(Object bean, Method method, Parameter[] parameters, JavaType[] types,
      Map<String, Object> arguments, HostToolContext context) throws Exception {
    var values = new Object[parameters.length];
    for (int i = 0; i < parameters.length; i++) {
      if (parameters[i].getType() == HostToolContext.class) {
        values[i] = context;
      } else {
        var raw = arguments.get(parameters[i].getName());
        values[i] = raw instanceof byte[] ? raw : MAPPER.convertValue(raw, types[i]);
      }
    }
    try {
      return method.invoke(bean, values);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }
}
