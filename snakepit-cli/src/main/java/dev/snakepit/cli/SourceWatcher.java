package dev.snakepit.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Watches directory trees (JDK {@link WatchService}) and runs an action, on its own thread
 * ({@code snakepit-dev-watch}), after {@code .py} files change. Changes that come together (an
 * editor saving several files) run the action once: it waits until the trees are quiet for
 * {@value #QUIET_MILLIS} ms.
 */
final class SourceWatcher implements AutoCloseable {
  static final long QUIET_MILLIS = 150;
  private static final Set<String> SKIPPED = Set.of("__pycache__", ".git", ".venv", "venv", "node_modules", "target", ".mypy_cache",
      ".pytest_cache", ".ruff_cache");

  private final WatchService service;
  private final Map<WatchKey, Path> directories = new HashMap<>();
  private final Runnable onChange;
  private final Thread thread;

  SourceWatcher(List<Path> roots, Runnable onChange) {
    this.onChange = onChange;
    try {
      service = FileSystems.getDefault().newWatchService();
      for (var root : roots) {
        if (Files.isDirectory(root)) {
          registerTree(root);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot watch " + roots + ": " + e.getMessage(), e);
    }
    thread = new Thread(this::loop, "snakepit-dev-watch");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void registerTree(Path root) throws IOException {
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        if (!dir.equals(root) && SKIPPED.contains(String.valueOf(dir.getFileName()))) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        if (!directories.containsValue(dir)) {
          directories.put(dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
              StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE), dir);
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private void loop() {
    try {
      while (true) {
        if (!pythonChanged(service.take())) {
          continue;
        }
        // Let the burst finish: every event until the trees are quiet belongs to this change.
        for (WatchKey more; (more = service.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS)) != null; ) {
          pythonChanged(more);
        }
        onChange.run();
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed: done
    }
  }

  /** Drains a key's events; true when one concerns a {@code .py} file. Registers new directories. */
  private boolean pythonChanged(WatchKey key) {
    var dir = directories.get(key);
    boolean python = false;
    for (var event : key.pollEvents()) {
      if (dir == null || !(event.context() instanceof Path name)) {
        continue;
      }
      var path = dir.resolve(name);
      if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(path)
          && !SKIPPED.contains(name.toString())) {
        try {
          registerTree(path);
        } catch (IOException e) {
          // a directory gone as soon as it came: nothing to watch
        }
      }
      python |= name.toString().endsWith(".py");
    }
    if (!key.reset()) {
      directories.remove(key);
    }
    return python;
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      // closing anyway
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
