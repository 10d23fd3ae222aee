package dev.snakepit.jmh;

import dev.snakepit.internal.transport.ArgumentEncoder;
import dev.snakepit.internal.transport.ToolRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding a call's arguments ({@link ArgumentEncoder}): what every {@code execute()} pays before
 * the transport. {@code baseline} builds the same request with nothing encoded.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ArgumentEncoderBenchmark {
  private static final int MAX_MESSAGE = 128 * 1024 * 1024;

  private final Map<String, Object> echo = Map.of("message", "0123456789abcdef0123456789abcdef");
  private final Map<String, Object> mixed = Map.of(
      "text", "hello world",
      "count", 42,
      "ratio", 0.5,
      "tags", List.of("a", "b", "c"),
      "options", Map.of("upper", true, "limit", 10));
  private final Map<String, Object> bytes = Map.of("data", new byte[1024 * 1024]);
  private final Map<String, String> metadata = Map.of("timeout_ms", "30000");

  /** The no-op: a request with the same shape and no encoding work. */
  @Benchmark
  public ToolRequest baseline() {
    return new ToolRequest("echo", "", Map.of(), Map.of(), metadata);
  }

  /** One 32-character string, as in the small-call benchmark. */
  @Benchmark
  public ToolRequest echoString() {
    return ArgumentEncoder.encode("echo", echo, null, metadata, MAX_MESSAGE);
  }

  /** Five arguments of mixed JSON types. */
  @Benchmark
  public ToolRequest mixedJson() {
    return ArgumentEncoder.encode("process", mixed, null, metadata, MAX_MESSAGE);
  }

  /** A 1 MiB byte[]: wrapped, never copied, so as cheap as a small call. */
  @Benchmark
  public ToolRequest bytes1MiB() {
    return ArgumentEncoder.encode("sink", bytes, null, metadata, MAX_MESSAGE);
  }
}
