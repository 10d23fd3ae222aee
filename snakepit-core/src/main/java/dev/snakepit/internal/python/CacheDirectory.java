package dev.snakepit.internal.python;

import java.nio.file.Path;

/**
 * Snakepit's cache root: {@code -Dsnakepit.cacheDir}, else {@code $SNAKEPIT_CACHE_DIR}, else
 * {@code $XDG_CACHE_HOME/snakepit}, else {@code ~/.cache/snakepit}.
 */
public final class CacheDirectory {
  private CacheDirectory() {}

  /** The cache root (not created here). */
  public static Path root() {
    var property = System.getProperty("snakepit.cacheDir");
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath();
    }
    var env = System.getenv("SNAKEPIT_CACHE_DIR");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath();
    }
    var xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "snakepit").toAbsolutePath();
    }
    return Path.of(System.getProperty("user.home"), ".cache", "snakepit");
  }
}
