package dev.snakepit;

import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The chunks of a streaming call, in order, as they arrive. Iterate it, or use {@link #stream()};
 * always close it (try-with-resources): closing before the end cancels the call, which closes the
 * generator in Python. {@link #next()} throws a {@link SnakepitException} when the call fails.
 */
public interface ToolStream extends Iterator<StreamChunk>, AutoCloseable {

  /** The chunks as a sequential Java stream; closing the stream closes this. */
  default Stream<StreamChunk> stream() {
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL), false)
        .onClose(this::close);
  }

  /** Cancels the call if it is still running and releases its worker. Idempotent. */
  @Override
  void close();
}
