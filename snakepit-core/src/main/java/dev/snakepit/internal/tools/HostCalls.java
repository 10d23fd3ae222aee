package dev.snakepit.internal.tools;

import dev.snakepit.HostTool;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a transport reaches the pool's host tools when a worker calls one (the gRPC callback server
 * today, a transport's own host-call frames tomorrow). Knows nothing of any wire format: requests
 * come in as decoded arguments, outcomes go out as JSON text, bytes or the protocol's error document.
 */
public interface HostCalls {
  /** The host tools Python may see and call in {@code sessionId} (empty for global only), sorted by name. */
  List<HostTool> exposedTo(String sessionId);

  /**
   * Starts a call. Look-up and argument failures complete at once; otherwise the handler starts on
   * its own thread.
   *
   * @param sessionId the caller's session id, or empty
   * @param toolName the host tool
   * @param metadata the request metadata (correlation id, trace context, worker id)
   * @param arguments decodes the request's arguments when the tool is found
   * @param callerRemaining the time the caller still waits (its deadline), or null when it set none
   */
  Pending start(String sessionId, String toolName, Map<String, String> metadata, ArgumentDecoder arguments,
      Duration callerRemaining);

  /**
   * Runs a call on the calling thread and returns its outcome: what {@link #start} then
   * {@link Pending#await} do, without handing the handler to a thread of its own. Past the call's
   * time limit the calling thread is interrupted and the outcome is a timeout. For a caller that
   * would only wait anyway (a thread blocked on the tool call that made this host call).
   */
  Outcome runHere(String sessionId, String toolName, Map<String, String> metadata, ArgumentDecoder arguments,
      Duration callerRemaining);

  /** One call in progress (or already decided). */
  interface Pending {
    /** Waits for the outcome; past the call's time limit the handler is interrupted and the outcome is a timeout. */
    Outcome await();

    /** Interrupts the handler (the caller went away). */
    void cancel();
  }

  /** Decodes a request's arguments; throws {@link dev.snakepit.InvalidArgumentsException} for a malformed one. */
  @FunctionalInterface
  interface ArgumentDecoder {
    /** The decoded arguments: JSON values as Java objects, binary ones as {@code byte[]}. */
    Map<String, Object> decode();
  }

  /**
   * The outcome of one call: a JSON result, a binary result, or an error document.
   *
   * @param success whether the tool succeeded
   * @param json the result's JSON text (success, not binary)
   * @param binary the result's bytes (success, binary)
   * @param errorJson the error document (failure)
   * @param executionTimeMs time from the request to the outcome
   */
  record Outcome(boolean success, byte[] json, ByteBuffer binary, String errorJson, long executionTimeMs) {}
}
