package dev.snakepit.internal.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.ZipInputStream;

/**
 * The {@code snakepit_bridge} wheel that travels in the snakepit-python jar. It is unpacked once per
 * wheel (version and content hash) under {@code <cache>/python/}: built in a temporary sibling
 * directory under a file lock, then renamed into place atomically, so JVMs starting at once never
 * see a half-written package.
 *
 * @param wheelName the wheel's file name, e.g. {@code snakepit_bridge-0.1.0-py3-none-any.whl}
 * @param version the package version
 * @param sha256 the wheel's SHA-256, hex
 */
public record BundledBridge(String wheelName, String version, String sha256) {
  private static final String RESOURCES = "/dev/snakepit/python/";
  private static final BundledBridge INSTANCE = load();

  /** The wheel in this class path, or null when the snakepit-python jar is missing. */
  public static BundledBridge get() {
    return INSTANCE;
  }

  private static BundledBridge load() {
    try (var in = BundledBridge.class.getResourceAsStream(RESOURCES + "bridge.properties")) {
      if (in == null) {
        return null;
      }
      var properties = new Properties();
      properties.load(in);
      return new BundledBridge(properties.getProperty("wheel"), properties.getProperty("version"),
          properties.getProperty("sha256"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bundled snakepit_bridge description", e);
    }
  }

  /** A short id of this wheel: version plus the first 12 hex digits of its hash. */
  public String id() {
    return version + "-" + sha256.substring(0, 12);
  }

  /** The directory to put on PYTHONPATH (it holds {@code snakepit_bridge/}); unpacked on first use. */
  public Path unpacked(Path cacheRoot) throws IOException {
    var target = cacheRoot.resolve("python").resolve("snakepit_bridge-" + id());
    if (Files.isDirectory(target)) {
      return target;
    }
    try (var lock = DirectoryLock.acquire(cacheRoot.resolve("python").resolve(".lock"))) {
      if (Files.isDirectory(target)) {
        return target;
      }
      var temporary = target.resolveSibling(target.getFileName() + ".tmp-" + UUID.randomUUID());
      try {
        unzip(temporary);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        deleteTree(temporary);
      }
      return target;
    }
  }

  /** The wheel as a file with its proper name (for pip and uv), copied out once. */
  public Path wheelFile(Path cacheRoot) throws IOException {
    var target = cacheRoot.resolve("wheels").resolve(id()).resolve(wheelName);
    if (Files.isRegularFile(target)) {
      return target;
    }
    Files.createDirectories(target.getParent());
    var temporary = target.resolveSibling(wheelName + ".tmp-" + UUID.randomUUID());
    try (var in = open()) {
      Files.copy(in, temporary);
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temporary);
    }
    return target;
  }

  private InputStream open() throws IOException {
    var in = BundledBridge.class.getResourceAsStream(RESOURCES + wheelName);
    if (in == null) {
      throw new IOException("the snakepit-python jar lists " + wheelName + " but does not contain it");
    }
    return in;
  }

  private void unzip(Path directory) throws IOException {
    Files.createDirectories(directory);
    try (var zip = new ZipInputStream(open())) {
      for (var entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
        var file = directory.resolve(entry.getName()).normalize();
        if (!file.startsWith(directory)) {
          throw new IOException("wheel entry escapes its directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(file);
        } else {
          Files.createDirectories(file.getParent());
          Files.copy(zip, file);
        }
      }
    }
  }

  static void deleteTree(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (var path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
