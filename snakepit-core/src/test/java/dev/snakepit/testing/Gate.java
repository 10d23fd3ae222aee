package dev.snakepit.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A gate for the {@code wait_gate} tool of {@link TestPools#gated()}: calls run until the test opens it. */
public final class Gate {
  private final Path file;

  /** A closed gate whose file lives in {@code directory}. */
  public Gate(Path directory, String name) {
    this.file = directory.resolve(name + ".gate");
  }

  /** The arguments of a {@code wait_gate} call on this gate. */
  public Map<String, Object> arguments() {
    return Map.of("path", file.toString());
  }

  /** Opens the gate: every call waiting on it returns. Idempotent. */
  public void open() {
    try {
      if (!Files.exists(file)) {
        Files.createFile(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
