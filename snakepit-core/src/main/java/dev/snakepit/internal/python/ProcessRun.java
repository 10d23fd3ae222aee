package dev.snakepit.internal.python;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * Runs one installer command (venv creation, pip, uv) to its end: output merged, each line logged at
 * DEBUG, the last lines kept for the error message, killed when it overruns its time budget.
 *
 * @param exitCode the exit code, or -1 when it was killed for overrunning
 * @param tail the last lines it printed
 */
record ProcessRun(int exitCode, String tail) {
  private static final int TAIL_LINES = 40;

  static ProcessRun run(List<String> command, Map<String, String> environment, Duration timeout, Logger log)
      throws IOException {
    var builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(environment);
    var process = builder.start();
    process.getOutputStream().close();
    var tail = new ArrayDeque<String>();
    var reader = Thread.ofVirtual().name("snakepit-installer-output").start(() -> {
      try (var lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (var line = lines.readLine(); line != null; line = lines.readLine()) {
          log.debug("  {}", line);
          synchronized (tail) {
            tail.addLast(line);
            if (tail.size() > TAIL_LINES) {
              tail.removeFirst();
            }
          }
        }
      } catch (IOException ignored) {
        // the process was killed; what was read is kept
      }
    });
    try {
      boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!finished) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      reader.join(Duration.ofSeconds(10));
      synchronized (tail) {
        var text = String.join("\n", tail);
        return new ProcessRun(finished ? process.exitValue() : -1,
            finished ? text : text + "\n(killed after " + timeout.toSeconds() + " s)");
      }
    } catch (InterruptedException e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
  }
}
