package dev.snakepit;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What a {@link HostTool} handler knows about the call it serves: which session and worker it came
 * from, how much time it has left, and the pool, so it can call Python tools in turn.
 *
 * <p>A nested call should go through {@link #execute(String, Map)}: it runs in the caller's session
 * with a budget that ends <em>before</em> this host call's own budget, so when the pool has no free
 * worker (for example a single worker, busy with the very call that is waiting for this handler)
 * the nested call fails with {@link CallTimeoutException} or {@link PoolSaturatedException} in time
 * for the error to travel back to Python, instead of everyone waiting on everyone. The same holds
 * for a session with a strict {@link Affinity}: its nested calls need the session's worker, which
 * is busy with the caller. To run elsewhere, call {@code snakepit().execute(...)} with your own
 * options, and a timeout below {@link #remaining()}.
 *
 * <pre>{@code
 * HostTool.builder("double_in_python")
 *     .param(ParamSpec.required("x", ParamSpec.NUMBER, "the number"))
 *     .handler((args, ctx) -> ctx.execute("add", Map.of("a", args.get("x"), "b", args.get("x"))))
 *     .build();
 * }</pre>
 */
public interface HostToolContext {
  /** The host tool being called. */
  String toolName();

  /** The session the Python caller runs in, if any. */
  Optional<String> sessionId();

  /** The worker that made the call, when it said so (request metadata {@code snakepit.worker_id}). */
  Optional<String> workerId();

  /** The request metadata Python sent ({@code correlation_id}, {@code traceparent}, ...). */
  Map<String, String> metadata();

  /**
   * Time left before this call's budget runs out: the Python caller's gRPC deadline, capped by the
   * tool's timeout (default: the pool's call timeout). Zero once it has passed; the handler's thread
   * is then interrupted.
   */
  Duration remaining();

  /** The pool that serves this call, to call Python tools from the handler. */
  Snakepit snakepit();

  /**
   * Runs a Python tool from inside this handler, in this call's session, with a budget that ends a
   * little before this call's own (see the type's description).
   *
   * @throws CallTimeoutException when no time is left, or the nested call's budget runs out
   * @throws PoolSaturatedException when no worker can take the nested call
   */
  ToolResult execute(String tool, Map<String, ?> arguments);

  /**
   * Like {@link #execute(String, Map)}, with options; a timeout in {@code options} is capped by this
   * call's budget, and the session defaults to this call's.
   */
  ToolResult execute(String tool, Map<String, ?> arguments, CallOptions options);
}
