package dev.snakepit;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A stateful conversation with the pool. Its calls carry its id to Python
 * ({@code SessionContext.session_id}) and follow the worker its first call was bound to, per its
 * {@link Affinity}, so Python-side state kept per session (a loaded dataset, a model fitted step by
 * step) is there on the next call. Thread-safe; close it to release the host's session record.
 */
public final class Session implements AutoCloseable {
  private final Snakepit pool;
  private final String id;
  private final Affinity affinity;
  private volatile boolean closed;

  /** Created by {@link Snakepit#session}. */
  Session(Snakepit pool, String id, Affinity affinity) {
    this.pool = pool;
    this.id = Objects.requireNonNull(id, "id");
    this.affinity = affinity;
  }

  /** The session id, as Python sees it. */
  public String id() {
    return id;
  }

  /** The affinity mode of this session's calls (unless a call's options say otherwise). */
  public Affinity affinity() {
    return affinity;
  }

  /** The id of the worker the session is bound to, or null before its first call. */
  public String boundWorkerId() {
    return pool.boundWorker(id);
  }

  /** Runs a tool in this session and waits for the result. */
  public ToolResult execute(String tool, Map<String, ?> arguments) {
    return execute(tool, arguments, CallOptions.defaults());
  }

  /** Runs a tool in this session with per-call options. */
  public ToolResult execute(String tool, Map<String, ?> arguments, CallOptions options) {
    return pool.execute(tool, arguments, route(options));
  }

  /** Runs a tool in this session without blocking. */
  public CompletableFuture<ToolResult> executeAsync(String tool, Map<String, ?> arguments) {
    return executeAsync(tool, arguments, CallOptions.defaults());
  }

  /** Runs a tool in this session without blocking, with per-call options. */
  public CompletableFuture<ToolResult> executeAsync(String tool, Map<String, ?> arguments, CallOptions options) {
    return pool.executeAsync(tool, arguments, route(options));
  }

  /** Streams a tool in this session. */
  public ToolStream stream(String tool, Map<String, ?> arguments) {
    return stream(tool, arguments, CallOptions.defaults());
  }

  /** Streams a tool in this session, with per-call options. */
  public ToolStream stream(String tool, Map<String, ?> arguments, CallOptions options) {
    return pool.stream(tool, arguments, route(options));
  }

  /**
   * A typed client whose calls run in this session; see {@link Snakepit#client(Class)}.
   *
   * @throws IllegalArgumentException when {@code type} is not a typed client interface
   */
  public <T> T client(Class<T> type) {
    return pool.client(type, this);
  }

  private CallOptions route(CallOptions options) {
    if (closed) {
      throw new SessionException(id, SessionException.Reason.CLOSED, null, null, "Session '" + id + "' is closed.");
    }
    pool.touchSession(id);
    var routed = options.withSessionId(id);
    return options.affinity() == null ? routed.withAffinity(affinity) : routed;
  }

  /** Removes the session (as CleanupSession does): its host record, binding and session-scoped host tools. */
  @Override
  public void close() {
    closed = true;
    pool.closeSession(id);
  }

  @Override
  public String toString() {
    return "Session{" + id + ", " + affinity + ", worker=" + boundWorkerId() + "}";
  }
}
