package dev.snakepit.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.ToolResult;
import dev.snakepit.internal.codec.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 * Turning a worker's answer into what the caller reads ({@link ToolResult}, {@link Json}).
 * {@code baseline} wraps the bytes in a result without reading them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ResultDecodingBenchmark {
  /** A result record mapped with {@link ToolResult#as(Class)}. */
  public record Processed(String original, String operation, String result, int length) {}

  private final byte[] text = "\"0123456789abcdef0123456789abcdef\"".getBytes(StandardCharsets.UTF_8);
  private final byte[] object =
      "{\"original\":\"Hello\",\"operation\":\"upper\",\"result\":\"HELLO\",\"length\":5}".getBytes(StandardCharsets.UTF_8);
  private final ByteBuffer binary = ByteBuffer.allocate(1024 * 1024);
  private final Map<String, String> metadata = Map.of("snakepit.worker_id", "bench-w1-g1");

  private ToolResult result(byte[] json) {
    return new ToolResult("echo", json, null, "bench-w1-g1", Duration.ZERO, metadata);
  }

  /** The no-op: the result object, nothing parsed. */
  @Benchmark
  public ToolResult baseline() {
    return result(text);
  }

  /** A string result read with {@link ToolResult#asText()}. */
  @Benchmark
  public String asText() {
    return result(text).asText();
  }

  /** An object result read as a map. */
  @Benchmark
  public Map<String, Object> asMap() {
    return result(object).asMap();
  }

  /** An object result mapped onto a record. */
  @Benchmark
  public Processed asRecord() {
    return result(object).as(Processed.class);
  }

  /** The JSON tree alone, as the other accessors start with. */
  @Benchmark
  public JsonNode readTree() {
    return Json.readTree(object, "result");
  }

  /** A 1 MiB bytes result read as a buffer: a view, no copy. */
  @Benchmark
  public ByteBuffer bytesView() {
    return new ToolResult("source", null, binary, "bench-w1-g1", Duration.ZERO, metadata).byteBuffer();
  }
}
