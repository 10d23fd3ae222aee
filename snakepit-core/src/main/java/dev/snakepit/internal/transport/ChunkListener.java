package dev.snakepit.internal.transport;

import dev.snakepit.StreamChunk;

/** Receives a streaming call's events, serially, on a transport thread. Implementations must not block. */
public interface ChunkListener {
  /** The call's handle, given before any other event so that the listener can request and cancel. */
  default void onStart(StreamCall call) {}

  /** One chunk arrived. */
  void onChunk(StreamChunk chunk);

  /** The call failed: a {@link TransportFailure} or a {@link RemoteToolError}. */
  void onError(RuntimeException error);

  /** The stream ended normally. */
  void onCompleted();
}
