package dev.snakepit;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A Java function that Python tools can call: {@code ctx.host_tools["name"](**kwargs)} or
 * {@code ctx.call_host_tool("name", **kwargs)} on the Python side. Immutable; build one with
 * {@link #builder(String)} and register it on the pool ({@link SnakepitConfig.Builder#hostTool},
 * {@link HostTools#register}) or for one session ({@link HostTools#registerForSession}).
 *
 * <pre>{@code
 * record FibArgs(int n) {}
 *
 * var fibonacci = HostTool.builder("calculate_fibonacci")
 *     .description("The n-th Fibonacci number")
 *     .handler(FibArgs.class, (args, ctx) -> fib(args.n()))   // parameters derived from the record
 *     .build();
 *
 * var parseJson = HostTool.builder("parse_json")
 *     .description("Parse JSON text")
 *     .param(ParamSpec.required("json_string", ParamSpec.STRING, "the text"))
 *     .handler((args, ctx) -> Json.parse((String) args.get("json_string")))
 *     .build();
 * }</pre>
 *
 * <p>Arguments arrive decoded: JSON values as {@code Map}, {@code List}, {@code String},
 * {@code Integer}/{@code Long}/{@code BigInteger}, {@code Double}, {@code Boolean} or null, and Python
 * {@code bytes} as {@code byte[]}. Before the handler runs, the host rejects a missing required
 * argument, an argument the tool does not declare (unless {@link Builder#allowExtraArguments()}) and
 * a value of the wrong type, and fills in defaults. A tool that declares no parameters receives
 * whatever Python sends, unchecked.
 *
 * <p>The handler returns any value Jackson can write (it travels back as JSON), {@code byte[]} or
 * {@link ByteBuffer} (Python receives {@code bytes}), or a {@link ToolResult} (forwarded as is). If it
 * throws, Python raises {@code HostToolError} carrying the Java exception's class name and message.
 * Handlers run on virtual threads, one per call, and are interrupted when the caller's budget runs out.
 */
public final class HostTool {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

  /**
   * A handler that receives the decoded arguments as a map.
   */
  @FunctionalInterface
  public interface Handler {
    /**
     * Serves one call.
     *
     * @param arguments the checked arguments, defaults filled in (unmodifiable; values may be null)
     * @param context the call's session, budget and pool
     * @return the result: a JSON-able value, {@code byte[]}/{@link ByteBuffer}, a {@link ToolResult}, or null
     * @throws Exception any failure; Python sees its class name and message
     */
    Object handle(Map<String, Object> arguments, HostToolContext context) throws Exception;
  }

  /**
   * A handler that receives the arguments mapped onto a Java type (a record, typically) by Jackson.
   *
   * @param <T> the arguments type
   */
  @FunctionalInterface
  public interface TypedHandler<T> {
    /**
     * Serves one call.
     *
     * @param arguments the arguments as a {@code T}
     * @param context the call's session, budget and pool
     * @return the result, as for {@link Handler#handle}
     * @throws Exception any failure; Python sees its class name and message
     */
    Object handle(T arguments, HostToolContext context) throws Exception;
  }

  /** A call whose arguments were checked and bound, ready to run. */
  public static final class Invocation {
    private final HostTool tool;
    private final Map<String, Object> arguments;
    private final Object converted;

    private Invocation(HostTool tool, Map<String, Object> arguments, Object converted) {
      this.tool = tool;
      this.arguments = arguments;
      this.converted = converted;
    }

    /** The bound arguments (defaults filled in), as the map handler would see them. */
    public Map<String, Object> arguments() {
      return arguments;
    }

    /**
     * Runs the handler on the calling thread.
     *
     * @throws Exception whatever the handler throws
     */
    public Object run(HostToolContext context) throws Exception {
      return tool.invoker.invoke(converted, Objects.requireNonNull(context, "context"));
    }
  }

  /** The handler after argument conversion: the map itself, or the Jackson-mapped object. */
  private interface Invoker {
    Object convert(HostTool tool, Map<String, Object> arguments);

    Object invoke(Object converted, HostToolContext context) throws Exception;
  }

  private final String name;
  private final String description;
  private final List<ParamSpec> parameters;
  private final boolean exposedToPython;
  private final boolean allowExtraArguments;
  private final Map<String, String> metadata;
  private final Duration timeout;
  private final Invoker invoker;

  private HostTool(Builder b) {
    this.name = b.name;
    this.description = b.description;
    this.parameters = List.copyOf(b.parameters.values());
    this.exposedToPython = b.exposedToPython;
    this.allowExtraArguments = b.allowExtraArguments;
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
    this.timeout = b.timeout;
    this.invoker = b.invoker;
  }

  /** Starts a builder for a tool named {@code name}: an identifier, at most 64 characters. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A tool without declared parameters (it receives whatever Python passes, unchecked). */
  public static HostTool of(String name, String description, Handler handler) {
    return builder(name).description(description).handler(handler).build();
  }

  /** The name Python calls the tool by. */
  public String name() {
    return name;
  }

  /** What the tool does (shown to Python). */
  public String description() {
    return description;
  }

  /** The declared parameters, in declaration order (empty: arguments are not checked). */
  public List<ParamSpec> parameters() {
    return parameters;
  }

  /** Whether Python sees and may call the tool; a hidden tool stays registered but unknown to Python. */
  public boolean exposedToPython() {
    return exposedToPython;
  }

  /** Whether arguments the tool does not declare are passed through instead of rejected. */
  public boolean allowsExtraArguments() {
    return allowExtraArguments;
  }

  /** Extra string metadata published in the tool's spec. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The tool's own time limit per call, if set (else the pool's call timeout applies). */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /**
   * Checks {@code arguments} against the declared parameters, fills in defaults and converts them
   * for the handler.
   *
   * @throws InvalidArgumentsException naming the parameter, what it expects and what it received
   */
  public Invocation bind(Map<String, ?> arguments) {
    Objects.requireNonNull(arguments, "arguments");
    var bound = new LinkedHashMap<String, Object>();
    if (parameters.isEmpty()) {
      bound.putAll(arguments);
    } else {
      for (var key : arguments.keySet()) {
        if (!allowExtraArguments && parameters.stream().noneMatch(p -> p.name().equals(key))) {
          throw invalid("Host tool '" + name + "' got an unexpected argument '" + key + "'. It takes: "
              + parameters.stream().map(ParamSpec::name).collect(Collectors.joining(", ")) + ".",
              key, null, ArgumentTypes.describe(arguments.get(key)), "unexpected");
        }
      }
      for (var p : parameters) {
        if (!arguments.containsKey(p.name())) {
          if (p.required()) {
            throw invalid("Host tool '" + name + "' is missing required argument '" + p.name() + "' (" + p.type() + ").",
                p.name(), p.type(), "nothing", "missing");
          }
          if (p.hasDefault()) {
            bound.put(p.name(), SnakepitJson.mapper().convertValue(p.defaultValue(), Object.class));
          }
          continue;
        }
        var value = arguments.get(p.name());
        if (value == null ? p.required() : !ArgumentTypes.matches(p.type(), value)) {
          throw invalid("Argument '" + p.name() + "' of host tool '" + name + "' must be " + p.type() + ", got "
              + ArgumentTypes.describe(value) + ".", p.name(), p.type(), ArgumentTypes.describe(value), "type");
        }
        bound.put(p.name(), value);
      }
      if (allowExtraArguments) {
        arguments.forEach(bound::putIfAbsent);
      }
    }
    var view = Collections.unmodifiableMap(bound);
    return new Invocation(this, view, invoker.convert(this, view));
  }

  /**
   * Binds the arguments and runs the handler on the calling thread: what the host does for a Python
   * call, minus the timeout. Handy to unit-test a tool.
   *
   * @throws InvalidArgumentsException when the arguments do not fit the parameters
   * @throws Exception whatever the handler throws
   */
  public Object invoke(Map<String, ?> arguments, HostToolContext context) throws Exception {
    return bind(arguments).run(context);
  }

  InvalidArgumentsException invalid(String message, String parameter, String expected, String received, String problem) {
    return new InvalidArgumentsException(message, name, parameter, expected, received, problem, null);
  }

  @Override
  public String toString() {
    return "HostTool{" + name + "(" + parameters.stream().map(p -> p.name() + ": " + p.type() + (p.required() ? "" : "?"))
        .collect(Collectors.joining(", ")) + ")" + (exposedToPython ? "" : ", hidden") + "}";
  }

  /** Builds a {@link HostTool}; every setter validates its argument. */
  public static final class Builder {
    private final String name;
    private String description = "";
    private final LinkedHashMap<String, ParamSpec> parameters = new LinkedHashMap<>();
    private boolean exposedToPython = true;
    private boolean allowExtraArguments;
    private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
    private Duration timeout;
    private Invoker invoker;
    private Class<?> argumentType;

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "host tool name must be an identifier ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters), was '" + name + "'");
      }
      this.name = name;
    }

    /** What the tool does, shown to Python. */
    public Builder description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /** Declares a parameter; names must be unique. */
    public Builder param(ParamSpec parameter) {
      Objects.requireNonNull(parameter, "parameter");
      if (parameters.putIfAbsent(parameter.name(), parameter) != null) {
        throw new IllegalArgumentException("host tool '" + name + "' already declares parameter '" + parameter.name() + "'");
      }
      return this;
    }

    /** Declares several parameters. */
    public Builder params(ParamSpec... parameters) {
      for (var p : parameters) {
        param(p);
      }
      return this;
    }

    /** Whether Python sees and may call the tool (default true). */
    public Builder exposedToPython(boolean exposed) {
      this.exposedToPython = exposed;
      return this;
    }

    /** Passes undeclared arguments to the handler instead of rejecting them. */
    public Builder allowExtraArguments() {
      this.allowExtraArguments = true;
      return this;
    }

    /** Adds a metadata entry published in the tool's spec. */
    public Builder metadata(String key, String value) {
      metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** The tool's time limit per call (default: the pool's call timeout); the caller's deadline still applies. */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** The handler, receiving the arguments as a map. */
    public Builder handler(Handler handler) {
      Objects.requireNonNull(handler, "handler");
      this.argumentType = null;
      this.invoker = new Invoker() {
        @Override
        public Object convert(HostTool tool, Map<String, Object> arguments) {
          return arguments;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Object invoke(Object converted, HostToolContext context) throws Exception {
          return handler.handle((Map<String, Object>) converted, context);
        }
      };
      return this;
    }

    /**
     * The handler, receiving the arguments mapped onto {@code type} by Jackson. When {@code type} is a
     * record and no parameter was declared, the parameters are derived from its components: each is
     * required unless it is an {@link Optional}, and typed after its Java type.
     */
    public <T> Builder handler(Class<T> type, TypedHandler<T> handler) {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(handler, "handler");
      this.argumentType = type;
      this.invoker = new Invoker() {
        @Override
        public Object convert(HostTool tool, Map<String, Object> arguments) {
          try {
            return SnakepitJson.mapper().convertValue(arguments, type);
          } catch (IllegalArgumentException e) {
            throw tool.invalid("Arguments of host tool '" + tool.name + "' do not fit " + type.getSimpleName() + ": "
                + e.getMessage(), null, type.getSimpleName(), null, "type");
          }
        }

        @Override
        public Object invoke(Object converted, HostToolContext context) throws Exception {
          return handler.handle(type.cast(converted), context);
        }
      };
      return this;
    }

    /** Builds the tool. */
    public HostTool build() {
      if (invoker == null) {
        throw new IllegalStateException("host tool '" + name + "' has no handler");
      }
      if (parameters.isEmpty() && argumentType != null && argumentType.isRecord()) {
        for (var component : argumentType.getRecordComponents()) {
          param(derive(component));
        }
      }
      return new HostTool(this);
    }

    private static ParamSpec derive(RecordComponent component) {
      Type generic = component.getGenericType();
      boolean optional = component.getType() == Optional.class;
      Class<?> raw = component.getType();
      if (optional && generic instanceof ParameterizedType pt && pt.getActualTypeArguments()[0] instanceof Class<?> inner) {
        raw = inner;
      } else if (optional) {
        raw = Object.class;
      }
      return new ParamSpec(component.getName(), typeOf(raw), "", !optional, null);
    }

    private static String typeOf(Class<?> type) {
      if (type == String.class || type == char.class || type == Character.class || CharSequence.class.isAssignableFrom(type)
          || type.isEnum()) {
        return ParamSpec.STRING;
      }
      if (type == int.class || type == long.class || type == short.class || type == byte.class || type == Integer.class
          || type == Long.class || type == Short.class || type == Byte.class || type == BigInteger.class) {
        return ParamSpec.INTEGER;
      }
      if (type == double.class || type == float.class || type == Double.class || type == Float.class
          || type == BigDecimal.class || type == Number.class) {
        return ParamSpec.NUMBER;
      }
      if (type == boolean.class || type == Boolean.class) {
        return ParamSpec.BOOLEAN;
      }
      if (type == byte[].class) {
        return ParamSpec.BYTES;
      }
      if (type.isArray() || Collection.class.isAssignableFrom(type)) {
        return ParamSpec.ARRAY;
      }
      if (type == Object.class) {
        return ParamSpec.ANY;
      }
      return ParamSpec.OBJECT;
    }
  }

  /** Runtime type checks of decoded argument values against {@link ParamSpec} types. */
  static final class ArgumentTypes {
    private ArgumentTypes() {}

    static boolean matches(String type, Object value) {
      return switch (type) {
        case ParamSpec.STRING -> value instanceof String;
        case ParamSpec.INTEGER -> isIntegral(value);
        case ParamSpec.NUMBER -> value instanceof Number;
        case ParamSpec.BOOLEAN -> value instanceof Boolean;
        case ParamSpec.ARRAY -> value instanceof Collection<?> || value instanceof Object[];
        case ParamSpec.OBJECT -> value instanceof Map<?, ?>;
        case ParamSpec.BYTES -> value instanceof byte[] || value instanceof ByteBuffer;
        default -> true;
      };
    }

    static String describe(Object value) {
      if (value == null) {
        return "null";
      }
      if (value instanceof byte[] || value instanceof ByteBuffer) {
        return ParamSpec.BYTES;
      }
      for (var type : List.of(ParamSpec.STRING, ParamSpec.INTEGER, ParamSpec.NUMBER, ParamSpec.BOOLEAN, ParamSpec.ARRAY,
          ParamSpec.OBJECT)) {
        if (matches(type, value)) {
          return type;
        }
      }
      return value.getClass().getSimpleName();
    }

    private static boolean isIntegral(Object value) {
      return value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
          || value instanceof BigInteger;
    }
  }
}
