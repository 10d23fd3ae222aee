package dev.snakepit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A description of the machine and the software versions, for the report. */
final class Machine {
  private Machine() {}

  static Map<String, String> describe(Path python) {
    var info = new LinkedHashMap<String, String>();
    info.put("cpu", cpuModel());
    info.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    info.put("memory", memory());
    info.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    info.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    info.put("grpc-java", io.grpc.internal.GrpcUtil.IMPLEMENTATION_VERSION);
    info.put("python", pythonVersions(python));
    return info;
  }

  /** The 1, 5 and 15 minute load averages (other work on the machine skews every number). */
  static String loadAverage() {
    try {
      var fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String cpuModel() {
    try {
      for (var line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // Not Linux.
    }
    return System.getProperty("os.arch");
  }

  private static String memory() {
    try {
      for (var line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kib = Long.parseLong(line.replaceAll("\\D", ""));
          return String.format("%.1f GiB", kib / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Not Linux.
    }
    return "unknown";
  }

  private static String pythonVersions(Path python) {
    var script = "import sys, grpc, google.protobuf as pb\n"
        + "try:\n import py4j.version as v; p = v.__version__\nexcept Exception: p = 'missing'\n"
        + "print(f'{sys.version.split()[0]} (grpcio {grpc.__version__}, protobuf {pb.__version__}, py4j {p})')";
    try {
      var process = new ProcessBuilder(List.of(python.toString(), "-c", script)).redirectErrorStream(true).start();
      process.getOutputStream().close();
      var text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      process.waitFor(10, TimeUnit.SECONDS);
      return python + ": " + text;
    } catch (IOException e) {
      return python + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return python.toString();
    }
  }
}
