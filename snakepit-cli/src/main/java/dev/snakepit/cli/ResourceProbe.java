package dev.snakepit.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** What soak and load runs measure about this JVM and its workers (Linux /proc where it can). */
final class ResourceProbe {
  private ResourceProbe() {}

  /** Heap in use after a full collection (several, until the figure settles). */
  static long heapAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    long previous = Long.MAX_VALUE;
    long used = 0;
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      used = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(previous - used) < used / 200) {
        break;
      }
      previous = used;
    }
    return used;
  }

  /** Live threads of this JVM. */
  static int threads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  /** Open file descriptors of this JVM (-1 where /proc is missing). */
  static int openFiles() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The summed resident set size of these processes, in bytes (0 for those gone or unreadable). */
  static long residentBytes(Collection<Long> pids) {
    long total = 0;
    for (long pid : pids) {
      try {
        for (var line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
          if (line.startsWith("VmRSS:")) {
            total += Long.parseLong(line.replaceAll("\\D", "")) * 1024;
          }
        }
      } catch (IOException | NumberFormatException e) {
        // Gone: counts as 0.
      }
    }
    return total;
  }

  /** The processes still alive after close, waiting a bounded time for the ones just stopping. */
  static List<Long> stillAlive(Collection<Long> pids) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    List<Long> alive;
    do {
      alive = pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).sorted().toList();
      if (alive.isEmpty()) {
        return alive;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    return alive;
  }

  /** Growth from {@code before} to {@code after} in percent (0 when before is 0). */
  static double growthPercent(long before, long after) {
    return before <= 0 ? 0 : (after - before) * 100.0 / before;
  }
}
