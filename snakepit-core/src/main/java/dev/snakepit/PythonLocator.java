package dev.snakepit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the default Python interpreter: {@code SNAKEPIT_PYTHON}, else a {@code .venv} nearby, else {@code python3}. */
final class PythonLocator {
  private PythonLocator() {}

  static Path defaultPython() {
    var fromEnv = System.getenv("SNAKEPIT_PYTHON");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    for (var start : new String[] {System.getProperty("snakepit.home"), System.getenv("SNAKEPIT_HOME"),
        System.getProperty("user.dir")}) {
      if (start == null || start.isBlank()) {
        continue;
      }
      // Walk up so that code running in a sub-module (tests, examples) finds the repo's venv.
      for (var dir = Path.of(start).toAbsolutePath(); dir != null; dir = dir.getParent()) {
        var candidate = dir.resolve(".venv/bin/python");
        if (Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    return Path.of("python3");
  }
}
