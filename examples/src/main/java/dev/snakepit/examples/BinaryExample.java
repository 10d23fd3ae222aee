package dev.snakepit.examples;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

/**
 * Bytes in both directions. A {@code byte[]} (or {@code ByteBuffer}) argument travels raw, not as
 * JSON, and arrives in Python as {@code bytes}; a tool that returns {@code bytes} gives a binary
 * {@link dev.snakepit.ToolResult}. SHA-256 on both sides shows nothing changed on the way.
 *
 * <p>Run: {@code java -cp examples/target/snakepit-examples.jar dev.snakepit.examples.BinaryExample}
 */
public final class BinaryExample {
  private BinaryExample() {}

  /** Runs the example, printing to stdout. */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the example, printing what it does to {@code out}. */
  public static void run(PrintStream out) {
    try (var pit = Snakepit.start(SnakepitConfig.builder().workers(1).build())) {
      // 1. Up: Java bytes -> Python, which hashes them.
      var upload = new byte[1024 * 1024];
      new Random(1).nextBytes(upload);
      var report = pit.execute("process_binary", Map.of("data", upload)).asMap();
      out.println("1. Sent 1 MiB; Python says size=" + report.get("size") + ", sha256=" + shortHash(report.get("sha256").toString()));
      out.println("   Java computed            sha256=" + shortHash(sha256(ByteBuffer.wrap(upload)))
          + (sha256(ByteBuffer.wrap(upload)).equals(report.get("sha256")) ? "  -> match" : "  -> MISMATCH"));

      // 2. Down: Python generates bytes; the result is binary, not JSON.
      var generated = pit.execute("generate_bytes", Map.of("size", 100_000, "seed", 42));
      var again = pit.execute("generate_bytes", Map.of("size", 100_000, "seed", 42));
      out.println("2. generate_bytes returned " + generated.bytes().length + " bytes (isBinary=" + generated.isBinary()
          + "); same seed, same bytes: " + generated.byteBuffer().equals(again.byteBuffer()));

      // 3. Round trip of 8 MiB; byteBuffer() reads the result without copying it.
      var payload = new byte[8 * 1024 * 1024];
      new Random(2).nextBytes(payload);
      long start = System.nanoTime();
      var echoed = pit.execute("echo_bytes", Map.of("data", payload));
      double seconds = (System.nanoTime() - start) / 1e9;
      boolean same = echoed.byteBuffer().equals(ByteBuffer.wrap(payload));
      out.printf("3. echo_bytes: 8 MiB there and back in %.0f ms (%.0f MB/s); identical: %s%n",
          seconds * 1000, 2 * payload.length / 1e6 / seconds, same);
    }
  }

  private static String sha256(ByteBuffer bytes) {
    try {
      var digest = MessageDigest.getInstance("SHA-256");
      digest.update(bytes.duplicate());
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static String shortHash(String hex) {
    return hex.substring(0, 16) + "…";
  }
}
