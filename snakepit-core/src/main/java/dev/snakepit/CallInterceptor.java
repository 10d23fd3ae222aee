package dev.snakepit;

import java.util.Map;

/**
 * Hooks around every call that crosses the Java/Python boundary, in both directions: tool calls
 * (Java to Python) and host tool calls (Python back to Java). This is how tracing plugs in without
 * the core depending on a tracing library: {@code snakepit-otel} implements it to start a span per
 * call and to put the W3C {@code traceparent} into the request metadata. Register one with
 * {@link SnakepitConfig.Builder#callInterceptor}.
 *
 * <p>Both methods have no-op defaults. Like {@link PoolEventListener}s, interceptors must be
 * <b>fast and never throw</b>: an exception is logged and the call goes on without that
 * interceptor. With several interceptors, they start in registration order and complete in
 * reverse order.
 *
 * <pre>{@code
 * CallInterceptor stamp = new CallInterceptor() {
 *   public Completion toolCall(ToolCall call, Map<String, String> metadata) {
 *     metadata.put("tenant", currentTenant());
 *     return Completion.NONE;
 *   }
 * };
 * }</pre>
 */
public interface CallInterceptor {
  /** An interceptor that does nothing. */
  CallInterceptor NONE = new CallInterceptor() {};

  /**
   * A tool call is about to be dispatched. Called on the thread that made the call (so the
   * caller's context, e.g. its current span, is visible), before the call waits for a worker.
   *
   * @param call what is being called
   * @param metadata the request metadata that will be sent to Python (already holding the caller's
   *     entries and the {@code correlation_id}); put entries to add them
   * @return told once when the call ends, on a pool or transport thread
   */
  default Completion toolCall(ToolCall call, Map<String, String> metadata) {
    return Completion.NONE;
  }

  /**
   * Python called a host tool. Called on the handler's thread just before the handler runs; the
   * returned completion is called on the same thread right after it, so an implementation may make
   * a context current here (the handler's nested calls then see it) and close it in the completion.
   *
   * @param call the host tool call, with the metadata Python sent
   * @return told once when the handler returns or throws
   */
  default Completion hostToolCall(HostToolCall call) {
    return Completion.NONE;
  }

  /**
   * An outgoing tool call.
   *
   * @param tool the tool's name
   * @param sessionId the session the call belongs to, or null
   * @param streaming whether it is a streaming call
   * @param correlationId the call's correlation id (the caller's, or one generated for it)
   */
  record ToolCall(String tool, String sessionId, boolean streaming, String correlationId) {}

  /**
   * An incoming host tool call.
   *
   * @param tool the host tool's name
   * @param sessionId the Python caller's session, or null
   * @param workerId the worker that made the call, or null when it did not say
   * @param correlationId the correlation id Python sent, or null
   * @param metadata the request metadata Python sent ({@code traceparent}, {@code correlation_id}, ...)
   */
  record HostToolCall(String tool, String sessionId, String workerId, String correlationId, Map<String, String> metadata) {
    /** Copies the metadata. */
    public HostToolCall {
      metadata = Map.copyOf(metadata);
    }
  }

  /** Told when an intercepted call ends. */
  @FunctionalInterface
  interface Completion {
    /** A completion that does nothing. */
    Completion NONE = (workerId, error) -> {};

    /**
     * The call ended.
     *
     * @param workerId the worker that served (or, for a host tool, made) the call, or null if none did
     * @param error the failure ({@link SnakepitException} for tool calls, the handler's exception for
     *     host tools), or null on success
     */
    void completed(String workerId, Throwable error);
  }
}
