package dev.snakepit.bench;

/** Standalone entry point: {@code java -jar snakepit-bench/target/snakepit-bench.jar [--quick] [--json FILE]}. */
public final class BenchMain {
  private BenchMain() {}

  /** Runs the benchmark and exits with its status. */
  public static void main(String[] args) {
    // Pool start/stop lines would drown the progress output; warnings still show.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.exit(BenchCommand.run(args));
  }
}
