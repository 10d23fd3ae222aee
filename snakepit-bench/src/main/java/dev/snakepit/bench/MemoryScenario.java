package dev.snakepit.bench;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Scenario: the memory a pool's Python processes take, as the sum of their proportional set size
 * (Pss in /proc/PID/smaps_rollup: shared pages count once in total), with forked and with spawned
 * workers. For forked workers the template counts too. Measured after every worker answered a call.
 */
final class MemoryScenario implements Scenario {
  static final String ID = "memory";
  static final String HEAVY_EIGHT = "heavy adapter: 8 workers, total PSS";
  static final String SCALE = "128 workers, total PSS";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void run(BenchContext context, Report report) {
    report.section(ID, "7. Memory (total PSS of the pool's Python processes, after one call per worker)",
        ForkStartupCases.SPAWN, "MiB; ratios: bytes / spawned bytes (lower is better). Linux only (/proc/PID/smaps_rollup).");
    for (var mode : List.of(StartMode.FORK, StartMode.SPAWN)) {
      measure(context, report, HEAVY_EIGHT, ForkStartupCases.config(context, ForkStartupCases.HEAVY_ADAPTER, 8, mode), mode);
    }
    for (var mode : List.of(StartMode.FORK, StartMode.SPAWN)) {
      measure(context, report, SCALE, ForkStartupCases.config(context, SnakepitConfig.SHOWCASE_ADAPTER,
          ForkStartupCases.SCALE_WORKERS, mode), mode);
    }
  }

  private static void measure(BenchContext context, Report report, String caseName, SnakepitConfig.Builder config,
      StartMode mode) {
    context.say("memory: " + caseName + ", " + ForkStartupCases.contender(mode));
    var pit = context.track(Snakepit.start(config.build()));
    try {
      int workers = pit.config().workers();
      for (int i = 0; i < workers; i++) {
        pit.execute("echo", Map.of("message", LatencyScenario.MESSAGE));
      }
      report.memory(ID, caseName, ForkStartupCases.contender(mode),
          mode == StartMode.SPAWN ? Report.Role.FLOOR : Report.Role.OURS, totalPss(pit.workerPids()));
    } finally {
      context.close(pit);
    }
  }

  /** Pss of the workers and of their parents other than this JVM (the template, for forked workers). */
  static long totalPss(List<Long> workerPids) {
    var pids = new LinkedHashSet<Long>(workerPids);
    long self = ProcessHandle.current().pid();
    for (long pid : workerPids) {
      ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).filter(p -> p != self).ifPresent(pids::add);
    }
    long total = 0;
    for (long pid : pids) {
      total += pss(pid);
    }
    return total;
  }

  static long pss(long pid) {
    try {
      for (var line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
        if (line.startsWith("Pss:")) {
          return Long.parseLong(line.substring(4).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone, or not Linux
    }
    return 0;
  }
}
