package dev.snakepit.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds; percentiles by nearest rank over every sample of every round. */
final class Samples {
  private long[] values = new long[1024];
  private int size;

  void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = nanos;
  }

  int size() {
    return size;
  }

  /** The {@code p}-th percentile (0 to 100) in nanoseconds. */
  long percentile(double p) {
    if (size == 0) {
      return 0;
    }
    var sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.max(0, Math.min(size - 1, rank - 1))];
  }

  /** The median of a few measurements (e.g. one throughput per round). */
  static double median(double[] values) {
    var sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n == 0 ? 0 : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
