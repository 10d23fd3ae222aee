package dev.snakepit.internal.process;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.snakepit.internal.codec.Json;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small on-disk record of each pool's workers (run id, pid, start time, command line), so that a
 * later pool can kill the workers (and delete the run directory) of an instance that died without
 * cleaning up. A leftover is
 * killed only when its owner is dead and the process still matches pid, start time and command
 * line: never a live instance's workers, never a recycled pid.
 */
public final class WorkerRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerRegistry.class);

  /** One worker as recorded. */
  public record Entry(String workerId, long pid, String startedAt, String commandLine) {}

  /** One pool instance's file. */
  public record Record(String runId, long ownerPid, String ownerStartedAt, List<Entry> workers) {}

  private final Path directory;
  private final Path file;
  private final String runId;
  private final Map<String, Entry> workers = new LinkedHashMap<>();

  /** A registry for pool {@code runId} in {@code directory}. */
  public WorkerRegistry(Path directory, String runId) {
    this.directory = directory;
    this.runId = runId;
    this.file = directory.resolve(runId + ".json");
  }

  /** The default directory: per user, under the temp dir. */
  public static Path defaultDirectory() {
    var override = System.getProperty("snakepit.registryDir");
    if (override != null && !override.isBlank()) {
      return Path.of(override);
    }
    return Path.of(System.getProperty("java.io.tmpdir"), ".snakepit-registry-" + System.getProperty("user.name", "user"));
  }

  /** Records a started worker. */
  public synchronized void add(String workerId, ProcessHandle process) {
    var info = process.info();
    workers.put(workerId, new Entry(workerId, process.pid(),
        info.startInstant().map(Instant::toString).orElse(""), info.commandLine().orElse("")));
    write();
  }

  /** Forgets a stopped worker. */
  public synchronized void remove(String workerId) {
    if (workers.remove(workerId) != null) {
      write();
    }
  }

  /** Deletes this pool's file (the pool closed cleanly). */
  public synchronized void delete() {
    workers.clear();
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.debug("Could not delete {}", file, e);
    }
  }

  private void write() {
    var self = ProcessHandle.current();
    var record = new Record(runId, self.pid(), self.info().startInstant().map(Instant::toString).orElse(""),
        new ArrayList<>(workers.values()));
    try {
      Files.createDirectories(directory);
      var tmp = directory.resolve(runId + ".json.tmp");
      Files.write(tmp, Json.write(record));
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      // The registry only helps clean up after a crash: never fail the pool over it.
      LOG.warn("Could not write the worker registry {}: {}", file, e.toString());
    }
  }

  /**
   * Kills the workers of dead instances recorded in {@code directory} and deletes their files.
   * Returns the pids killed.
   */
  public static List<Long> reapLeftovers(Path directory) {
    var killed = new ArrayList<Long>();
    if (!Files.isDirectory(directory)) {
      return killed;
    }
    List<Path> files;
    try (Stream<Path> entries = Files.list(directory)) {
      files = entries.filter(p -> p.getFileName().toString().endsWith(".json")).toList();
    } catch (IOException e) {
      LOG.debug("Cannot list {}", directory, e);
      return killed;
    }
    for (var path : files) {
      Optional<Record> record = read(path);
      if (record.isEmpty() || isAlive(record.get().ownerPid(), record.get().ownerStartedAt())) {
        continue;
      }
      for (var entry : record.get().workers()) {
        if (matches(entry, record.get().runId())) {
          ProcessHandle.of(entry.pid()).ifPresent(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            killed.add(entry.pid());
            LOG.warn("Killed leftover worker {} (pid {}) of dead pool instance {}", entry.workerId(), entry.pid(),
                record.get().runId());
          });
        }
      }
      deleteRunDirectories(record.get().runId());
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        LOG.debug("Could not delete {}", path, e);
      }
    }
    return killed;
  }

  /** Deletes the temporary run directories ({@code <tmp>/snakepit-<run id>-*}) a dead instance left. */
  private static void deleteRunDirectories(String runId) {
    var tmp = Path.of(System.getProperty("java.io.tmpdir"));
    var prefix = "snakepit-" + runId + "-";
    try (Stream<Path> entries = Files.list(tmp)) {
      for (var directory : entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
        try (Stream<Path> files = Files.walk(directory)) {
          for (var file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(file);
          }
        }
      }
    } catch (IOException e) {
      LOG.debug("Could not delete the run directories of {}", runId, e);
    }
  }

  private static Optional<Record> read(Path path) {
    try {
      return Optional.of(Json.mapper().readValue(Files.readAllBytes(path), new TypeReference<Record>() {}));
    } catch (IOException e) {
      LOG.debug("Ignoring unreadable registry file {}", path, e);
      return Optional.empty();
    }
  }

  private static boolean isAlive(long pid, String startedAt) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .map(p -> startedAt.isEmpty() || p.info().startInstant().map(Instant::toString).orElse("").equals(startedAt))
        .orElse(false);
  }

  private static boolean matches(Entry entry, String runId) {
    return ProcessHandle.of(entry.pid())
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().startInstant().map(Instant::toString).orElse("").equals(entry.startedAt()))
        .filter(p -> p.info().commandLine().orElse("").contains("--snakepit-run-id " + runId))
        .isPresent();
  }
}
