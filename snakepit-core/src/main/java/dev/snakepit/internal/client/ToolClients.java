package dev.snakepit.internal.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.PythonParam;
import dev.snakepit.PythonTool;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolResult;
import dev.snakepit.ToolStream;
import dev.snakepit.internal.codec.Json;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * Implements typed client interfaces ({@link PythonTool} methods, as {@code snakepit codegen}
 * writes them) with a dynamic proxy whose calls go to a pool or a session. Each method is checked
 * and planned once, when the client is made.
 */
public final class ToolClients {
  private ToolClients() {}

  /**
   * Where a client's calls go.
   *
   * @param execute a blocking call
   * @param executeAsync a call without blocking
   * @param stream a streaming call
   */
  public record Target(
      BiFunction<String, Map<String, ?>, ToolResult> execute,
      BiFunction<String, Map<String, ?>, CompletableFuture<ToolResult>> executeAsync,
      BiFunction<String, Map<String, ?>, ToolStream> stream,
      String description) {
    /** Checks the functions are there. */
    public Target {
      Objects.requireNonNull(execute, "execute");
      Objects.requireNonNull(executeAsync, "executeAsync");
      Objects.requireNonNull(stream, "stream");
    }
  }

  /**
   * A client of interface {@code type} calling {@code target}.
   *
   * @throws IllegalArgumentException naming the method, when {@code type} is not an interface or an
   *     abstract method lacks {@link PythonTool} or a parameter lacks {@link PythonParam}
   */
  public static <T> T create(Class<T> type, Target target) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(target, "target");
    if (!type.isInterface()) {
      throw new IllegalArgumentException(type.getName() + " is not an interface; typed clients are interfaces "
          + "with @PythonTool methods (generate one with 'snakepit codegen')");
    }
    var plans = new HashMap<Method, Plan>();
    for (var method : type.getMethods()) {
      if (method.isDefault() || Modifier.isStatic(method.getModifiers())) {
        continue;
      }
      plans.put(method, Plan.of(type, method));
    }
    var handler = new Handler(type, target, Map.copyOf(plans));
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
  }

  private enum Mode { BLOCKING, ASYNC, STREAM }

  /** How one method calls its tool: the tool, the argument names, the result type. */
  private record Plan(String tool, Mode mode, String[] names, boolean[] optional, Type result, boolean primitive) {
    static Plan of(Class<?> type, Method method) {
      var tool = method.getAnnotation(PythonTool.class);
      var where = type.getSimpleName() + "." + method.getName();
      if (tool == null) {
        throw new IllegalArgumentException("method " + where + " has no @PythonTool: every abstract method of a "
            + "typed client names the tool it calls (regenerate the interface with 'snakepit codegen')");
      }
      var parameters = method.getParameters();
      var names = new String[parameters.length];
      var optional = new boolean[parameters.length];
      for (int i = 0; i < parameters.length; i++) {
        var param = parameters[i].getAnnotation(PythonParam.class);
        if (param == null) {
          throw new IllegalArgumentException("parameter " + (i + 1) + " of " + where
              + " has no @PythonParam naming the Python parameter it is sent as");
        }
        names[i] = param.value();
        optional[i] = parameters[i].getType() == Optional.class;
      }
      var returns = method.getGenericReturnType();
      var raw = method.getReturnType();
      if (raw == CompletableFuture.class || raw == Stream.class) {
        var element = returns instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
        return new Plan(tool.name(), raw == Stream.class ? Mode.STREAM : Mode.ASYNC, names, optional, element, false);
      }
      return new Plan(tool.name(), Mode.BLOCKING, names, optional, returns, raw.isPrimitive() && raw != void.class);
    }

    Map<String, Object> arguments(Object[] values) {
      var arguments = new LinkedHashMap<String, Object>();
      for (int i = 0; i < names.length; i++) {
        var value = values[i];
        if (optional[i]) {
          if (value != null && ((Optional<?>) value).isPresent()) {
            arguments.put(names[i], ((Optional<?>) value).get());
          }
        } else {
          arguments.put(names[i], value);
        }
      }
      return arguments;
    }
  }

  private record Handler(Class<?> type, Target target, Map<Method, Plan> plans) implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      if (method.getDeclaringClass() == Object.class) {
        return switch (method.getName()) {
          case "equals" -> proxy == args[0];
          case "hashCode" -> System.identityHashCode(proxy);
          default -> type.getSimpleName() + " client of " + target.description();
        };
      }
      if (method.isDefault()) {
        return InvocationHandler.invokeDefault(proxy, method, args);
      }
      var plan = plans.get(method);
      var arguments = plan.arguments(args == null ? new Object[0] : args);
      return switch (plan.mode()) {
        case BLOCKING -> {
          var value = result(target.execute().apply(plan.tool(), arguments), plan.result());
          if (value == null && plan.primitive()) {
            throw new IllegalStateException("Tool '" + plan.tool() + "' returned None, which "
                + type.getSimpleName() + "." + method.getName() + " cannot return as " + method.getReturnType());
          }
          yield value;
        }
        case ASYNC -> {
          var call = target.executeAsync().apply(plan.tool(), arguments);
          var mapped = call.thenApply(result -> result(result, plan.result()));
          mapped.whenComplete((ignored, error) -> {
            if (mapped.isCancelled()) {
              call.cancel(true); // cancelling the caller's future cancels the call
            }
          });
          yield mapped;
        }
        case STREAM -> {
          ToolStream stream = target.stream().apply(plan.tool(), arguments);
          yield stream.stream().filter(chunk -> !(chunk.isFinal() && chunk.isEmpty()))
              .map(chunk -> chunk(chunk, plan.result()));
        }
      };
    }
  }

  // ---- mapping results --------------------------------------------------------------------------

  static Object result(ToolResult result, Type type) {
    if (type == void.class || type == Void.class) {
      return null;
    }
    if (type == byte[].class && result.isBinary()) {
      return result.bytes();
    }
    return value(result.asJson(), type, "result of '" + result.toolName() + "'");
  }

  static Object chunk(StreamChunk chunk, Type type) {
    if (type == byte[].class && StreamChunk.BYTES.equals(chunk.contentType())) {
      return chunk.data();
    }
    return value(chunk.asJson(), type, "stream chunk " + chunk.sequence());
  }

  static Object value(JsonNode node, Type type, String what) {
    if (type instanceof ParameterizedType p && p.getRawType() == Optional.class) {
      return node == null || node.isNull() ? Optional.empty()
          : Optional.ofNullable(value(node, p.getActualTypeArguments()[0], what));
    }
    if (node == null || node.isNull()) {
      return null;
    }
    var mapper = Json.mapper();
    try {
      return mapper.readerFor(mapper.getTypeFactory().constructType(type)).readValue(node);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException("Cannot map " + what + " onto " + type.getTypeName() + ": " + e.getMessage()
          + " (is the client generated from the adapter as it is now? check with 'snakepit manifest --check')", e);
    }
  }
}
