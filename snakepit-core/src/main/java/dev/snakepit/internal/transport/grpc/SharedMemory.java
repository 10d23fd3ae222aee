package dev.snakepit.internal.transport.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Large bytes arguments and results of local workers travel through files on a memory file system
 * ({@code /dev/shm}) instead of inside gRPC messages: one copy on each side, instead of gRPC's
 * framing, flow control and several copies per side (docs/worker-contract.md, "Shared-memory
 * hand-off").
 *
 * <p>The files live in {@code /dev/shm/snakepit.shm-<jvm pid>-<random>}, mode 0700, created with the
 * transport factory and deleted with it; directories of JVMs that died are swept at creation. A
 * file ({@link Slot}) is reused by later calls once a call that used it succeeded: writing into
 * memory the file system already holds is several times faster than having it allocate (and zero)
 * fresh pages for every call. Idle slots hold at most {@link #IDLE_LIMIT} bytes; a slot of a call
 * that failed or was cancelled is deleted, never reused, since the worker may still touch it.
 */
public final class SharedMemory implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SharedMemory.class);
  private static final Path ROOT = Path.of("/dev/shm");
  // Never a prefix of the pool run directories ("snakepit-<pool>-..."), which may share /dev/shm.
  private static final String PREFIX = "snakepit.shm-";
  /** Bytes arguments and results at least this large go through shared memory. */
  public static final int THRESHOLD = 256 * 1024;
  /** Most bytes that idle slots keep between calls. */
  static final long IDLE_LIMIT = 256L * 1024 * 1024;
  /** Copy window between the Java heap and a file: small enough for the JDK's per-thread direct buffer cache. */
  private static final int CHUNK = 1024 * 1024;

  /** One hand-off file: reused across calls, owned by one call at a time. */
  public static final class Slot {
    /** The file's name inside the hand-off directory. */
    public final String name;
    final Path path;
    /** Bytes the file holds (its pages stay allocated), 0 if it does not exist yet. */
    long capacity;

    Slot(String name, Path path) {
      this.name = name;
      this.path = path;
    }
  }

  private final Path directory;
  private final AtomicLong counter = new AtomicLong();
  /** Bytes that had to travel inside the message because the hand-off failed (either way). */
  private final AtomicLong fallbacks = new AtomicLong();
  private final AtomicBoolean argumentFallbackLogged = new AtomicBoolean();
  private final AtomicBoolean resultFallbackLogged = new AtomicBoolean();
  private final ArrayDeque<Slot> idle = new ArrayDeque<>();
  private long idleBytes;

  private SharedMemory(Path directory) {
    this.directory = directory;
  }

  /** The hand-off directory, or null where there is no {@code /dev/shm} (or it cannot be used). */
  public static SharedMemory create() {
    if (!Files.isDirectory(ROOT) || !Files.isWritable(ROOT)) {
      return null;
    }
    sweepStale();
    var random = new byte[6];
    new SecureRandom().nextBytes(random);
    var name = PREFIX + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
    try {
      var directory = Files.createDirectory(ROOT.resolve(name),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      return new SharedMemory(directory);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("No shared-memory hand-off: cannot create a directory in {}: {}", ROOT, e.toString());
      return null;
    }
  }

  /** The directory workers read arguments from and write results to. */
  public Path directory() {
    return directory;
  }

  /** A slot for one call: the largest idle one (its pages are already there), else a new name. */
  public Slot acquire() {
    synchronized (idle) {
      var slot = idle.pollLast();
      if (slot != null) {
        idleBytes -= slot.capacity;
        return slot;
      }
    }
    var name = "h" + counter.incrementAndGet();
    return new Slot(name, directory.resolve(name));
  }

  /**
   * Gives a slot back. A slot is reused only if its call succeeded (the worker is done with it) and
   * it fits the idle limit; otherwise its file is deleted.
   */
  public void release(Slot slot, boolean reusable) {
    if (reusable && slot.capacity <= IDLE_LIMIT) {
      synchronized (idle) {
        // Largest last: acquire() hands out the slot most likely to fit without growing.
        if (idle.isEmpty() || idle.peekLast().capacity <= slot.capacity) {
          idle.addLast(slot);
        } else {
          idle.addFirst(slot);
        }
        idleBytes += slot.capacity;
        while (idleBytes > IDLE_LIMIT) {
          var evicted = idle.pollFirst();
          idleBytes -= evicted.capacity;
          delete(evicted.path);
        }
      }
      return;
    }
    delete(slot.path);
  }

  /**
   * Writes {@code bytes} (position to limit, not consumed) at the start of the slot's file. A failure
   * ({@code /dev/shm} full or gone) is a fallback: the caller sends the argument inside the message;
   * it is counted, and logged once per pool (a full {@code /dev/shm} would fail every large call).
   */
  public void write(Slot slot, ByteBuffer bytes) {
    try (var channel = FileChannel.open(slot.path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      var view = bytes.duplicate();
      int start = view.position();
      int end = view.limit();
      while (view.position() < end) {
        view.limit(Math.min(end, view.position() + CHUNK));
        while (view.hasRemaining()) {
          channel.write(view, view.position() - start);
        }
        view.limit(end);
      }
      slot.capacity = Math.max(slot.capacity, end - start);
    } catch (IOException e) {
      fallbacks.incrementAndGet();
      if (argumentFallbackLogged.compareAndSet(false, true)) {
        LOG.warn("Shared-memory hand-off of a {}-byte argument failed ({}); large arguments travel inside messages"
            + " while it fails (logged once; counted in PoolStats.sharedMemoryFallbacks). Give /dev/shm more room"
            + " (docker run --shm-size=1g), or see 'snakepit doctor'.", bytes.remaining(), e.toString());
      } else {
        LOG.debug("Shared-memory hand-off to {} failed: {}", slot.path, e.toString());
      }
      throw new UncheckedIOException("cannot write a shared-memory argument to " + slot.path, e);
    }
  }

  /**
   * The worker sent a bytes result of {@code length} inside the message although a slot was
   * offered for it: its hand-off failed (the worker logs why, once). Counted, logged once here.
   */
  public void resultFellBack(String workerId, long length) {
    fallbacks.incrementAndGet();
    if (resultFallbackLogged.compareAndSet(false, true)) {
      LOG.warn("Worker {} sent a {}-byte result inside the message instead of through shared memory (see its log for"
          + " why); counted in PoolStats.sharedMemoryFallbacks, logged once.", workerId, length);
    }
  }

  /** How many bytes arguments and results travelled inside messages because their hand-off failed. */
  public long fallbacks() {
    return fallbacks.get();
  }

  /** Reads the first {@code length} bytes of the slot's file (a result the worker wrote) onto the heap. */
  public ByteBuffer read(Slot slot, long length) {
    if (length < 0 || length > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("shared-memory result of " + length + " bytes");
    }
    var bytes = new byte[(int) length];
    try (var channel = FileChannel.open(slot.path, StandardOpenOption.READ)) {
      slot.capacity = Math.max(slot.capacity, channel.size());
      int offset = 0;
      while (offset < bytes.length) {
        int n = channel.read(ByteBuffer.wrap(bytes, offset, Math.min(CHUNK, bytes.length - offset)), offset);
        if (n < 0) {
          throw new IOException("file ended after " + offset + " of " + length + " bytes");
        }
        offset += n;
      }
      return ByteBuffer.wrap(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the shared-memory result " + slot.path, e);
    }
  }

  static void delete(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.debug("Could not delete {}", path, e);
    }
  }

  @Override
  public void close() {
    synchronized (idle) {
      idle.clear();
      idleBytes = 0;
    }
    deleteTree(directory);
  }

  /** Deletes hand-off directories whose JVM is gone (it died before closing its pool). */
  private static void sweepStale() {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(ROOT, PREFIX + "*")) {
      for (var entry : entries) {
        var rest = entry.getFileName().toString().substring(PREFIX.length());
        int dash = rest.indexOf('-');
        if (dash <= 0) {
          continue;
        }
        try {
          long pid = Long.parseLong(rest.substring(0, dash));
          if (ProcessHandle.of(pid).isEmpty()) {
            deleteTree(entry);
          }
        } catch (NumberFormatException e) {
          // Not one of ours.
        }
      }
    } catch (IOException | SecurityException e) {
      LOG.debug("Could not sweep {}", ROOT, e);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(SharedMemory::delete);
    } catch (IOException e) {
      LOG.debug("Could not delete {}", root, e);
    }
  }
}
