package dev.snakepit.testing;

import dev.snakepit.SnakepitConfig;
import java.nio.file.Path;
import java.time.Duration;

/** Configs for tests: the showcase adapter, the test adapters on the path, short time-outs. */
public final class TestPools {
  private TestPools() {}

  /** Where the test-only Python modules live. */
  public static Path testPython() {
    var root = System.getProperty("snakepit.repoRoot", "..");
    return Path.of(root, "snakepit-core", "src", "test", "python").toAbsolutePath().normalize();
  }

  /** A builder for a small pool with bounded time-outs. */
  public static SnakepitConfig.Builder config() {
    return SnakepitConfig.builder()
        .poolName("test")
        .workers(1)
        .addPythonPath(testPython())
        .startupTimeout(Duration.ofSeconds(20))
        .callTimeout(Duration.ofSeconds(20))
        .shutdownGrace(Duration.ofSeconds(2));
  }

  /**
   * Like {@link #config()}, with the showcase adapter plus {@code wait_gate(path)}: a tool that runs
   * until the test creates the file at {@code path} (see {@link Gate}).
   */
  public static SnakepitConfig.Builder gated() {
    return config().adapter("snakepit_test_adapters.gated.GatedAdapter");
  }
}
