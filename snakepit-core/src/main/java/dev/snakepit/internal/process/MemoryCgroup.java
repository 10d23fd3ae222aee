package dev.snakepit.internal.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernel's count of OOM kills in a process's memory cgroup: the evidence that tells a worker
 * killed by the OOM killer from one killed by someone's SIGKILL. cgroup v1 keeps it as
 * {@code oom_kill} in {@code memory.oom_control}, cgroup v2 in {@code memory.events}; the kernel
 * counts a kill in the victim's cgroup whether the limit was the cgroup's or the machine's.
 */
final class MemoryCgroup {
  private final Path counterFile;

  private MemoryCgroup(Path counterFile) {
    this.counterFile = counterFile;
  }

  /** The memory cgroup of a live process, or null where there is none to read (not Linux, no memory controller). */
  static MemoryCgroup of(long pid) {
    try {
      return resolve(Files.readString(Path.of("/proc", Long.toString(pid), "cgroup")), Path.of("/sys/fs/cgroup"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * From the text of {@code /proc/<pid>/cgroup} and the cgroup mount root: the v1 memory
   * controller's cgroup when there is one, else the v2 cgroup (a hybrid set-up keeps memory on v1).
   */
  static MemoryCgroup resolve(String procCgroup, Path root) {
    String v2 = null;
    for (var line : procCgroup.split("\n")) {
      var fields = line.split(":", 3);
      if (fields.length < 3) {
        continue;
      }
      if (java.util.Arrays.asList(fields[1].split(",")).contains("memory")) {
        var file = existing(root.resolve("memory"), fields[2], "memory.oom_control");
        if (file != null) {
          return new MemoryCgroup(file);
        }
      } else if (fields[0].equals("0") && fields[1].isEmpty()) {
        v2 = fields[2];
      }
    }
    if (v2 != null) {
      var file = existing(root, v2, "memory.events");
      if (file == null) {
        file = existing(root.resolve("unified"), v2, "memory.events");
      }
      return file == null ? null : new MemoryCgroup(file);
    }
    return null;
  }

  /** The counter file under {@code mount}; the path is relative to the cgroup namespace's root, which may be the mount itself. */
  private static Path existing(Path mount, String cgroupPath, String file) {
    var relative = cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
    var nested = mount.resolve(relative).resolve(file);
    if (Files.isReadable(nested)) {
      return nested;
    }
    var atMount = mount.resolve(file);
    return Files.isReadable(atMount) ? atMount : null;
  }

  /** The OOM kills counted so far, or -1 when the counter cannot be read. */
  long oomKills() {
    try {
      for (var line : Files.readAllLines(counterFile)) {
        if (line.startsWith("oom_kill ")) {
          return Long.parseLong(line.substring("oom_kill ".length()).trim());
        }
      }
      return -1;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  Path counterFile() {
    return counterFile;
  }
}
