package dev.snakepit.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.snakepit.CallOptions;
import dev.snakepit.HostTool;
import dev.snakepit.ParamSpec;
import dev.snakepit.PythonException;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bidirectional tools: Java calls Python, and Python calls back into Java.
 *
 * <p>Three Java functions are registered on the pool as host tools ({@code parse_json},
 * {@code calculate_fibonacci}, {@code process_list}). The showcase adapter's Python tool
 * {@code combine_host_tools} calls all three through {@code ctx.host_tools} and returns their results
 * together. Then: a Java error as Python sees it, a tool visible to one session only, and a nested
 * call (Java -> Python -> Java -> Python on the other worker).
 *
 * <p>Run: {@code ./mvnw -q -pl examples -am package -DskipTests}, then
 * {@code java --enable-native-access=ALL-UNNAMED -cp 'examples/target/snakepit-examples.jar:examples/target/lib/*'
 * dev.snakepit.examples.BidirectionalToolsExample}. See {@code examples/README-bidirectional.md}.
 */
public final class BidirectionalToolsExample {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The arguments of {@code calculate_fibonacci}; its parameter spec is derived from this record. */
  record FibonacciArgs(int n) {}

  private BidirectionalToolsExample() {}

  /** Runs the tour and prints what happens at each step. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example, printing what it does to {@code out}. */
  public static void run(java.io.PrintStream out) {
    try {
      runChecked(out);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void runChecked(java.io.PrintStream out) throws com.fasterxml.jackson.core.JsonProcessingException {
    var config = SnakepitConfig.builder()
        .poolName("bidirectional")
        .workers(2)
        .hostTool(parseJson())
        .hostTool(calculateFibonacci())
        .hostTool(processList())
        .build();
    try (var pit = Snakepit.start(config)) {
      out.println("Host tools Python can call: "
          + pit.hostTools().list().stream().map(HostTool::name).toList());

      // 1. A Python tool that combines three Java tools.
      var combined = pit.execute("combine_host_tools", Map.of("json_string", "{\"numbers\": [5, 3, 8, 1]}", "n", 20));
      out.println("\n1. combine_host_tools (Python calling parse_json, calculate_fibonacci, process_list):");
      out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(combined.asJson()));

      // 2. A Java exception, as Python raises it and as it comes back to Java.
      out.println("\n2. A host tool that throws:");
      try {
        pit.execute("call_host", Map.of("tool", "calculate_fibonacci", "arguments", Map.of("n", 500)));
      } catch (PythonException e) {
        out.println("   Python raised " + e.pythonType() + ": " + e.pythonMessage());
      }

      // 3. A tool only one session can see.
      pit.hostTools().registerForSession("alice", HostTool.of("greet", "Greets the session's user",
          (arguments, ctx) -> "Hello, " + ctx.sessionId().orElse("stranger") + "!"));
      var alice = CallOptions.defaults().withSessionId("alice");
      out.println("\n3. Session-scoped tool: "
          + pit.execute("call_host", Map.of("tool", "greet"), alice).asText());
      try {
        pit.execute("call_host", Map.of("tool", "greet"), CallOptions.defaults().withSessionId("bob"));
      } catch (PythonException e) {
        out.println("   In session bob: " + e.pythonType() + ": " + e.pythonMessage());
      }

      // 4. Nested: Java -> Python (call_host) -> Java (double_in_python) -> Python (add) on the other worker.
      pit.hostTools().register(HostTool.builder("double_in_python")
          .description("Doubles a number by asking Python to add it to itself")
          .param(ParamSpec.required("x", ParamSpec.NUMBER, "the number"))
          .handler((arguments, ctx) -> {
            var x = arguments.get("x");
            var sum = ctx.execute("add", Map.of("a", x, "b", x));
            return Map.of("doubled", sum.asJson(), "added_on", sum.workerId());
          })
          .build());
      var nested = pit.execute("call_host", Map.of("tool", "double_in_python", "arguments", Map.of("x", 21)));
      out.println("\n4. Nested call: " + nested.json() + " (the outer Python call ran on " + nested.workerId() + ")");
    }
  }

  /** {@code parse_json(json_string)}: the parsed value. */
  static HostTool parseJson() {
    return HostTool.builder("parse_json")
        .description("Parse JSON text into a value")
        .param(ParamSpec.required("json_string", ParamSpec.STRING, "the JSON text"))
        .handler((arguments, ctx) -> JSON.readTree((String) arguments.get("json_string")))
        .build();
  }

  /** {@code calculate_fibonacci(n)}: {@code {"n": n, "value": F(n)}}, for 0 <= n <= 92. */
  static HostTool calculateFibonacci() {
    return HostTool.builder("calculate_fibonacci")
        .description("The n-th Fibonacci number (0 <= n <= 92)")
        .handler(FibonacciArgs.class, (arguments, ctx) -> {
          int n = arguments.n();
          if (n < 0 || n > 92) {
            throw new IllegalArgumentException("n must be between 0 and 92 (a long holds F(92)), was " + n);
          }
          long a = 0;
          long b = 1;
          for (int i = 0; i < n; i++) {
            long next = a + b;
            a = b;
            b = next;
          }
          return Map.of("n", n, "value", a);
        })
        .build();
  }

  /** {@code process_list(items, operation="stats")}: sum, sort, reverse or stats of a list of numbers. */
  static HostTool processList() {
    return HostTool.builder("process_list")
        .description("Process a list of numbers: sum, sort, reverse or stats")
        .param(ParamSpec.required("items", ParamSpec.ARRAY, "the numbers"))
        .param(ParamSpec.optional("operation", ParamSpec.STRING, "stats", "sum, sort, reverse or stats"))
        .handler((arguments, ctx) -> {
          var numbers = new ArrayList<Double>();
          for (var item : (List<?>) arguments.get("items")) {
            if (!(item instanceof Number number)) {
              throw new IllegalArgumentException("items must be numbers, got " + item);
            }
            numbers.add(number.doubleValue());
          }
          var operation = (String) arguments.get("operation");
          return switch (operation) {
            case "sum" -> numbers.stream().mapToDouble(Double::doubleValue).sum();
            case "sort" -> numbers.stream().sorted().toList();
            case "reverse" -> {
              var copy = new ArrayList<>(numbers);
              Collections.reverse(copy);
              yield copy;
            }
            case "stats" -> {
              var stats = numbers.stream().mapToDouble(Double::doubleValue).summaryStatistics();
              var out = new LinkedHashMap<String, Object>();
              out.put("count", stats.getCount());
              out.put("sum", stats.getSum());
              out.put("min", numbers.isEmpty() ? null : stats.getMin());
              out.put("max", numbers.isEmpty() ? null : stats.getMax());
              out.put("mean", numbers.isEmpty() ? null : stats.getAverage());
              yield out;
            }
            default -> throw new IllegalArgumentException("operation must be sum, sort, reverse or stats, was " + operation);
          };
        })
        .build();
  }
}
