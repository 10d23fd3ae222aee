package dev.snakepit.internal.pool;

/**
 * How many chunks of one stream the worker may send ahead of the consumer (stream flow control).
 * The window holds up to {@link #MAX_WINDOW} small chunks or about {@link #WINDOW_BYTES} of data,
 * whichever is fewer (never under {@link #MIN_WINDOW} chunks), so a slow consumer buffers a bounded
 * amount whatever the chunk size. Credit goes back in batches of a quarter window: one credit frame
 * per consumed chunk would cost the worker a wake-up per chunk. Used by one thread at a time.
 */
final class StreamCredit {
  /** The credit a stream starts with, before any chunk size is known. */
  static final int INITIAL = 32;
  static final int MIN_WINDOW = 4;
  static final int MAX_WINDOW = 256;
  static final long WINDOW_BYTES = 4L * 1024 * 1024;

  private int outstanding = INITIAL;
  private double averageBytes = -1;

  /** A chunk of {@code bytes} was consumed; returns the credit to grant now (0: none yet). */
  int consumed(int bytes) {
    outstanding--;
    // A moving average, so one odd chunk neither opens nor closes the window.
    averageBytes = averageBytes < 0 ? bytes : averageBytes * 0.875 + bytes * 0.125;
    int window = window();
    int deficit = window - outstanding;
    if (deficit >= Math.max(1, window / 4)) {
      outstanding += deficit;
      return deficit;
    }
    return 0;
  }

  /** The window for the chunk sizes seen so far. */
  int window() {
    if (averageBytes < 0) {
      return INITIAL;
    }
    double fits = WINDOW_BYTES / Math.max(1.0, averageBytes);
    return (int) Math.max(MIN_WINDOW, Math.min(MAX_WINDOW, fits));
  }

  /** Chunks granted and not consumed yet. */
  int outstanding() {
    return outstanding;
  }
}
