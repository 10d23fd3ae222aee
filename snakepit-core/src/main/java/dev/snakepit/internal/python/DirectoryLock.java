package dev.snakepit.internal.python;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a lock file, held across JVMs (an OS file lock) and across threads of this
 * JVM (the OS lock alone would throw {@code OverlappingFileLockException} there). The OS releases
 * it when the JVM dies, so a crashed builder never blocks the next one.
 */
final class DirectoryLock implements AutoCloseable {
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

  private final ReentrantLock local;
  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(ReentrantLock local, FileChannel channel, FileLock lock) {
    this.local = local;
    this.channel = channel;
    this.lock = lock;
  }

  /** Blocks until this JVM and every other process has released {@code lockFile}. */
  static DirectoryLock acquire(Path lockFile) throws IOException {
    var key = lockFile.toAbsolutePath().normalize();
    var local = IN_JVM.computeIfAbsent(key, k -> new ReentrantLock());
    local.lock();
    FileChannel channel = null;
    try {
      Files.createDirectories(key.getParent());
      channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      return new DirectoryLock(local, channel, channel.lock());
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      local.unlock();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
      channel.close();
    } finally {
      local.unlock();
    }
  }
}
