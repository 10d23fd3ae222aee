package dev.snakepit.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Fuzz inputs: seeds from the corpus in {@code src/test/resources/fuzz/<name>/}, mutated (bytes
 * flipped, inserted, deleted, truncated, spliced, nesting multiplied), mixed with plain random
 * bytes. Also counts executions per target for docs/reliability.md.
 */
public final class Corpus {
  private static final Map<String, AtomicLong> EXECUTIONS = new ConcurrentHashMap<>();

  private Corpus() {}

  /** The seed files of one corpus directory. */
  public static List<byte[]> seeds(String name) {
    try {
      var dir = Path.of(Corpus.class.getResource("/fuzz/" + name).toURI());
      try (Stream<Path> files = Files.list(dir)) {
        return files.sorted().map(Corpus::read).toList();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The seed of a fuzz run: {@code -Dsnakepit.fuzz.seed=N} to replay one, else a fresh one. */
  public static long seed() {
    var fixed = System.getProperty("snakepit.fuzz.seed");
    return fixed != null ? Long.parseLong(fixed) : new java.security.SecureRandom().nextLong();
  }

  /** One input from the seeds of {@code name}: mostly mutated seeds, some plain seeds, some random bytes. */
  public static byte[] next(List<byte[]> seeds, java.util.Random r) {
    int pick = r.nextInt(6);
    if (pick == 0) {
      var random = new byte[r.nextInt(257)];
      r.nextBytes(random);
      return random;
    }
    var seed = seeds.get(r.nextInt(seeds.size()));
    return pick == 1 ? seed.clone() : mutate(seed, seeds, r);
  }

  /**
   * Runs {@code check} on {@code runs} inputs; a failure names the run's seed and the input (as
   * Base64) so it can be replayed and added to the corpus.
   */
  public static void run(String target, int runs, java.util.function.Function<java.util.Random, byte[]> inputs,
      java.util.function.Consumer<byte[]> check) {
    long seed = seed();
    var random = new java.util.Random(seed);
    for (int i = 0; i < runs; i++) {
      var input = inputs.apply(random);
      try {
        check.accept(input);
      } catch (Throwable failure) {
        throw new AssertionError(target + " failed on run " + i + " (replay with -Dsnakepit.fuzz.seed=" + seed
            + "); input (Base64): " + java.util.Base64.getEncoder().encodeToString(input), failure);
      }
      executed(target);
    }
  }

  static byte[] mutate(byte[] seed, List<byte[]> seeds, java.util.Random r) {
    var data = seed.clone();
    int rounds = 1 + r.nextInt(4);
    for (int i = 0; i < rounds; i++) {
      data = switch (r.nextInt(7)) {
        case 0 -> flip(data, r);
        case 1 -> insert(data, r);
        case 2 -> delete(data, r);
        case 3 -> data.length == 0 ? data : java.util.Arrays.copyOf(data, r.nextInt(data.length));
        case 4 -> splice(data, seeds.get(r.nextInt(seeds.size())), r);
        case 5 -> nest(data, r);
        default -> interesting(data, r);
      };
    }
    return data;
  }

  private static byte[] flip(byte[] data, java.util.Random r) {
    if (data.length > 0) {
      data[r.nextInt(data.length)] ^= (byte) (1 << r.nextInt(8));
    }
    return data;
  }

  private static byte[] insert(byte[] data, java.util.Random r) {
    int at = data.length == 0 ? 0 : r.nextInt(data.length + 1);
    var extra = new byte[1 + r.nextInt(8)];
    r.nextBytes(extra);
    return concat(java.util.Arrays.copyOf(data, at), extra, java.util.Arrays.copyOfRange(data, at, data.length));
  }

  private static byte[] delete(byte[] data, java.util.Random r) {
    if (data.length < 2) {
      return data;
    }
    int from = r.nextInt(data.length - 1);
    int to = from + 1 + r.nextInt(Math.min(16, data.length - from - 1) + 1);
    return concat(java.util.Arrays.copyOf(data, from), java.util.Arrays.copyOfRange(data, Math.min(to, data.length), data.length));
  }

  private static byte[] splice(byte[] data, byte[] other, java.util.Random r) {
    int a = data.length == 0 ? 0 : r.nextInt(data.length + 1);
    int b = other.length == 0 ? 0 : r.nextInt(other.length + 1);
    return concat(java.util.Arrays.copyOf(data, a), java.util.Arrays.copyOfRange(other, b, other.length));
  }

  /** Wraps the data in many brackets: depth is where recursive decoders overflow. */
  private static byte[] nest(byte[] data, java.util.Random r) {
    int depth = r.nextBoolean() ? 1 + r.nextInt(50) : 900 + r.nextInt(20_000);
    var open = (r.nextBoolean() ? "[" : "{\"k\":").repeat(depth).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    var close = (r.nextBoolean() ? "]" : "}").repeat(r.nextBoolean() ? depth : r.nextInt(depth + 1))
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return concat(open, data, close);
  }

  private static final String[] INTERESTING = {
    "NaN", "-Infinity", "1e999999", "-0", "0x10", "\"\\ud800\"", "\u0000", "\"\\u0000\"", "\uFEFF", "//", "/*",
    "9223372036854775808", "1" + "0".repeat(400), "\"", "\\", "{}", "[]", ",", ":", "\"a\":"
  };

  private static byte[] interesting(byte[] data, java.util.Random r) {
    var token = INTERESTING[r.nextInt(INTERESTING.length)].getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int at = data.length == 0 ? 0 : r.nextInt(data.length + 1);
    return concat(java.util.Arrays.copyOf(data, at), token, java.util.Arrays.copyOfRange(data, at, data.length));
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (var p : parts) {
      length += p.length;
    }
    var out = new byte[length];
    int at = 0;
    for (var p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Counts one execution of {@code target}. */
  public static void executed(String target) {
    EXECUTIONS.computeIfAbsent(target, k -> new AtomicLong()).incrementAndGet();
  }

  /** Prints the executions per target (one line each, for docs/reliability.md). */
  public static void report() {
    EXECUTIONS.forEach((target, count) -> System.out.println("FUZZ " + target + ": " + count.get() + " executions"));
  }
}
