package dev.snakepit.internal.python;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.internal.codec.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What an interpreter is: its version, its real executable, and the installed snakepit-bridge
 * version (if any). Asked once per interpreter file and JVM.
 *
 * @param executable {@code sys.executable}
 * @param version e.g. {@code 3.11.7}
 * @param platform e.g. {@code linux-x86_64}
 * @param bridgeVersion the installed {@code snakepit-bridge} distribution's version, or null
 */
public record InterpreterProbe(String executable, String version, String platform, String bridgeVersion) {
  private static final String SCRIPT = """
      import json, sys, sysconfig
      try:
          from importlib import metadata
          bridge = metadata.version("snakepit-bridge")
      except Exception:
          bridge = None
      print(json.dumps({"executable": sys.executable, "version": ".".join(map(str, sys.version_info[:3])),
                        "platform": sysconfig.get_platform(), "bridge": bridge}))
      """;
  private static final Map<String, InterpreterProbe> CACHE = new ConcurrentHashMap<>();

  /**
   * Runs {@code python} once (per file and modification time) and reports what it is.
   *
   * @throws IOException when it cannot be run or does not answer within 60 s
   */
  public static InterpreterProbe of(Path python) throws IOException {
    var resolved = resolve(python);
    var key = resolved + "@" + (Files.exists(resolved) ? Files.getLastModifiedTime(resolved).toMillis() : 0);
    var cached = CACHE.get(key);
    if (cached != null) {
      return cached;
    }
    var probe = run(resolved);
    CACHE.put(key, probe);
    return probe;
  }

  private static InterpreterProbe run(Path python) throws IOException {
    var process = new ProcessBuilder(List.of(python.toString(), "-c", SCRIPT))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      process.getOutputStream().close();
      var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException(python + " did not answer the interpreter probe (exit "
            + (process.isAlive() ? "none" : process.exitValue()) + ")");
      }
      JsonNode report = Json.mapper().readTree(out.strip().lines().reduce((a, b) -> b).orElse("{}"));
      var bridge = report.path("bridge");
      return new InterpreterProbe(report.path("executable").asText(), report.path("version").asText(),
          report.path("platform").asText(), bridge.isNull() || bridge.isMissingNode() ? null : bridge.asText());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while probing " + python, e);
    } finally {
      process.destroyForcibly();
    }
  }

  /** {@code python} itself when it is a path, else the first match on PATH (or the name unchanged). */
  public static Path resolve(Path python) {
    if (python.getNameCount() > 1 || python.isAbsolute()) {
      return python;
    }
    return findOnPath(python.toString()).orElse(python);
  }

  /** The first executable called {@code name} on PATH. */
  public static java.util.Optional<Path> findOnPath(String name) {
    var path = System.getenv("PATH");
    if (path == null) {
      return java.util.Optional.empty();
    }
    for (var dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      var candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return java.util.Optional.of(candidate);
      }
    }
    return java.util.Optional.empty();
  }
}
