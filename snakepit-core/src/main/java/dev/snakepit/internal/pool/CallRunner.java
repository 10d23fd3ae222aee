package dev.snakepit.internal.pool;

import dev.snakepit.Affinity;
import dev.snakepit.CallOptions;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.SessionException;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolResult;
import dev.snakepit.ToolStream;
import dev.snakepit.TransportException;
import dev.snakepit.WorkerCrashedException;
import dev.snakepit.internal.transport.ArgumentEncoder;
import dev.snakepit.internal.telemetry.CallInstrumentation;
import dev.snakepit.internal.time.Ticker;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.WorkerTransport;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The call path: budget, encoding and route once per call, a worker from the {@link Dispatcher},
 * the transport call, then the outcome (through {@link CallErrors}) and the worker's release. Unary
 * calls, iterator streams and callback streams all start here.
 */
final class CallRunner {
  private static final Logger LOG = LoggerFactory.getLogger(CallRunner.class);
  /** How long to wait for a dead worker's exit status when its connection drops. */
  private static final Duration CRASH_CONFIRMATION = Duration.ofSeconds(2);

  /** Opens (or touches) the session a call names. */
  interface Sessions {
    void open(String sessionId);
  }

  private final Duration callTimeout;
  private final int maxMessageSize;
  private final Affinity defaultAffinity;
  private final Ticker ticker;
  private final Dispatcher dispatcher;
  private final WorkerSupervisor supervisor;
  private final Sessions sessions;
  private final Listeners listeners;
  private final CallInstrumentation instrumentation;
  private final CallErrors errors;
  private final Executor callbacks;
  /** The session directory shared with other replicas, or null (each session routed here alone). */
  private final SharedSessions shared;
  final AtomicLong completedCalls = new AtomicLong();
  final AtomicLong failedCalls = new AtomicLong();

  CallRunner(Duration callTimeout, int maxMessageSize, Affinity defaultAffinity, Ticker ticker, Dispatcher dispatcher,
      WorkerSupervisor supervisor, Sessions sessions, Listeners listeners, CallInstrumentation instrumentation,
      CallErrors errors, Executor callbacks, SharedSessions shared) {
    this.callTimeout = callTimeout;
    this.maxMessageSize = maxMessageSize;
    this.defaultAffinity = defaultAffinity;
    this.ticker = ticker;
    this.dispatcher = dispatcher;
    this.supervisor = supervisor;
    this.sessions = sessions;
    this.listeners = listeners;
    this.instrumentation = instrumentation;
    this.errors = errors;
    this.callbacks = callbacks;
    this.shared = shared;
  }

  /** Runs a tool; the future completes on a transport thread. */
  public CompletableFuture<ToolResult> execute(String toolName, Map<String, ?> arguments, CallOptions options) {
    return execute(toolName, arguments, options, null);
  }

  private CompletableFuture<ToolResult> execute(String toolName, Map<String, ?> arguments, CallOptions options,
      SyncDriver driver) {
    if (!instrumentation.active()) {
      return executeDirect(toolName, arguments, options, driver);
    }
    var call = instrumentation.toolCall(toolName, options, false);
    var outcome = executeDirect(toolName, arguments, call.options(), driver);
    outcome.whenComplete((result, error) -> call.completed(result == null ? null : result.workerId(), error));
    return outcome;
  }

  private CompletableFuture<ToolResult> executeDirect(String toolName, Map<String, ?> arguments, CallOptions options,
      SyncDriver driver) {
    PoolCall call;
    try {
      call = prepare(toolName, arguments, options);
    } catch (SnakepitException e) {
      failedCalls.incrementAndGet();
      return CompletableFuture.failedFuture(e);
    }
    var outcome = attempt(call, driver);
    if (call.idempotent) {
      // Only a crash is retried, once: the call may have run, which is safe because the caller said so.
      outcome = outcome.exceptionallyCompose(error -> {
        var cause = unwrap(error);
        if (cause instanceof WorkerCrashedException crashed && call.attempts() == 1 && call.remainingNanos(ticker.read()) > 0
            && !dispatcher.isClosing()) {
          LOG.info("Retrying idempotent call to '{}' after worker {} crashed", toolName, crashed.workerId().orElse("?"));
          return attempt(call, null);
        }
        return CompletableFuture.failedFuture(cause);
      });
    }
    outcome = outcome.whenComplete((result, error) -> {
      call.done();
      (error == null ? completedCalls : failedCalls).incrementAndGet();
      if (listeners.active()) {
        callFinished(call, result, error);
      }
    });
    // Cancelling the returned future cancels whatever the call is waiting on: its place in the queue or the RPC.
    return linked(outcome, call::cancel, null);
  }

  /** The prologue of every call, written once: budget and deadline, encoded request, session route. */
  private PoolCall prepare(String toolName, Map<String, ?> arguments, CallOptions options) {
    var budget = options.timeoutOverride().orElse(callTimeout);
    long now = ticker.read();
    var request = ArgumentEncoder.encode(toolName, arguments, options.sessionId(), metadata(options, budget), maxMessageSize);
    return new PoolCall(request, route(toolName, options), budget, now, options.idempotent());
  }

  /** Waits for a worker for the call (counted as an attempt). */
  private CompletableFuture<PooledWorker> acquire(PoolCall call) {
    call.startAttempt();
    if (shared != null && call.route != null) {
      try {
        shared.place(call.route, call.toolName());
      } catch (SessionException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return call.waitFor(dispatcher.acquire(call.toolName(), call.route, call.deadlineNanos, call.budget));
  }

  private void callFinished(PoolCall call, ToolResult result, Throwable error) {
    var request = call.request;
    var cause = error == null ? null : unwrap(error);
    var code = cause == null ? null
        : cause instanceof SnakepitException se ? se.code()
        : cause instanceof java.util.concurrent.CancellationException ? dev.snakepit.ErrorCode.TIMEOUT
        : dev.snakepit.ErrorCode.TRANSPORT;
    var workerId = result != null ? result.workerId()
        : cause instanceof SnakepitException se ? se.workerId().orElse(null) : null;
    long bytesOut = result == null ? 0 : result.isBinary() ? result.byteBuffer().remaining() : result.json().length();
    var event = new PoolEventListener.CallFinished(request.toolName(), workerId,
        request.sessionId().isEmpty() ? null : request.sessionId(), Duration.ofNanos(ticker.read() - call.startNanos), code,
        request.payloadSize(), bytesOut);
    listeners.fire(l -> l.callFinished(event));
  }

  private CompletableFuture<ToolResult> attempt(PoolCall call, SyncDriver driver) {
    return acquire(call).thenCompose(worker -> runOn(worker, call, driver));
  }

  /**
   * A future completed with {@code outcome}'s result (on {@code executor} when given, so callers'
   * continuations leave the thread that completed it), whose cancel() also runs {@code onCancel}.
   */
  private static <T> CompletableFuture<T> linked(CompletableFuture<T> outcome, Runnable onCancel,
      java.util.concurrent.Executor executor) {
    var linked = new CompletableFuture<T>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        onCancel.run();
        return super.cancel(mayInterruptIfRunning);
      }
    };
    java.util.function.BiConsumer<T, Throwable> complete = (result, error) -> {
      if (error != null) {
        linked.completeExceptionally(unwrap(error));
      } else {
        linked.complete(result);
      }
    };
    if (executor == null) {
      outcome.whenComplete(complete);
    } else {
      outcome.whenCompleteAsync(complete, runsEvenWhenShutDown(executor));
    }
    return linked;
  }

  /**
   * The callback executor is shut down when the pool closes; a completion it refuses (a call made
   * after close, or one finishing during it) runs on the completing thread instead, so no caller's
   * future is left pending forever.
   */
  private static Executor runsEvenWhenShutDown(Executor executor) {
    return task -> {
      try {
        executor.execute(task);
      } catch (RejectedExecutionException e) {
        task.run();
      }
    };
  }

  /** Runs a tool and hands the caller's continuations to a callback thread, never a transport thread. */
  public CompletableFuture<ToolResult> executeAsync(String toolName, Map<String, ?> arguments, CallOptions options) {
    var internal = execute(toolName, arguments, options);
    return linked(internal, () -> internal.cancel(true), callbacks);
  }

  /** Runs a tool and waits for its result, rethrowing failures as {@link SnakepitException}s. */
  public ToolResult executeSync(String toolName, Map<String, ?> arguments, CallOptions options) {
    var driver = new SyncDriver();
    var outcome = execute(toolName, arguments, options, driver);
    if (driver.transport != null && !outcome.isDone()) {
      // Read the answer on this thread: no hand-off from a transport thread (docs/architecture.md).
      driver.transport.drive(outcome, driver.deadlineNanos);
    }
    return await(outcome, toolName);
  }

  /**
   * A sync caller, whose thread the transport may use to read its answer ({@link WorkerTransport#drive}):
   * set only when the call goes out on that very thread (a worker was free), so no other thread reads for it.
   */
  private static final class SyncDriver {
    final Thread thread = Thread.currentThread();
    WorkerTransport transport;
    long deadlineNanos;
  }

  private CompletableFuture<ToolResult> runOn(PooledWorker worker, PoolCall call, SyncDriver driver) {
    var request = call.request;
    var budget = call.budget;
    long remaining = call.remainingNanos(ticker.read());
    if (remaining <= 0) {
      dispatcher.release(worker);
      return CompletableFuture.failedFuture(
          new CallTimeoutException(request.toolName(), worker.id, budget, CallTimeoutException.Phase.QUEUED, null));
    }
    if (listeners.active()) {
      listeners.fire(l -> l.callStarted(new PoolEventListener.CallStarted(request.toolName(), worker.id,
          request.sessionId().isEmpty() ? null : request.sessionId(), false)));
    }
    call.running();
    boolean drives = driver != null && driver.thread == Thread.currentThread();
    var sent = worker.transport.execute(request, Duration.ofNanos(remaining), drives);
    if (drives) {
      driver.transport = worker.transport;
      driver.deadlineNanos = System.nanoTime() + remaining;
    }
    return call.waitFor(sent).handle((response, error) -> {
      var cause = error == null ? null : unwrap(error);
      var failed = cause == null && !response.success()
          ? errors.toolError(response.errorJson(), request.toolName(), worker.id, budget)
          : null;
      if (CallErrors.leavesWorkerSuspect(cause, failed)) {
        // Python was told to cancel, or the connection dropped (the process may be dying): until the
        // worker shows it is idle and alive, it gets no new call.
        supervisor.suspect(worker);
      }
      dispatcher.release(worker);
      if (cause != null) {
        return this.<ToolResult>translate(cause, worker, request.toolName(), budget);
      }
      if (failed != null) {
        return CompletableFuture.<ToolResult>failedFuture(failed);
      }
      return CompletableFuture.completedFuture(toResult(response, worker, request.toolName()));
    }).thenCompose(f -> f);
  }

  private ToolResult toResult(ToolResponse response, PooledWorker worker, String toolName) {
    var workerId = response.metadata().getOrDefault("snakepit.worker_id", worker.id);
    return new ToolResult(toolName, response.resultJson(), response.binaryResult(), workerId,
        Duration.ofMillis(response.executionTimeMs()), response.metadata());
  }

  /** Maps a transport failure; a dropped connection to a dead process becomes a worker-crashed error. */
  private <T> CompletableFuture<T> translate(Throwable error, PooledWorker worker, String toolName, Duration budget) {
    var mapped = errors.map(error, toolName, worker.id, budget);
    if (!CallErrors.mayBeCrash(unwrap(error))) {
      return CompletableFuture.failedFuture(mapped);
    }
    return worker.process.onExit()
        .orTimeout(CRASH_CONFIRMATION.toMillis(), TimeUnit.MILLISECONDS)
        .handle((code, notDead) -> {
          if (notDead != null) {
            throw mapped;
          }
          worker.process.awaitPumps();
          throw CallErrors.crashed(toolName, worker.id, code, worker.process.stderrTail(), worker.process.oomKillEvidence());
        });
  }

  private Map<String, String> metadata(CallOptions options, Duration budget) {
    var metadata = new HashMap<>(options.metadata());
    metadata.put("timeout_ms", Long.toString(budget.toMillis()));
    metadata.putIfAbsent(CallInstrumentation.CORRELATION_ID, CallInstrumentation.newCorrelationId());
    return metadata;
  }

  // ---------------------------------------------------------------------------------------------
  // Streaming
  // ---------------------------------------------------------------------------------------------

  /** Starts a streaming call and returns its chunks as an iterator. */
  public ToolStream stream(String toolName, Map<String, ?> arguments, CallOptions options) {
    if (!instrumentation.active()) {
      return streamDirect(toolName, arguments, options);
    }
    var call = instrumentation.toolCall(toolName, options, true);
    try {
      return call.watching(streamDirect(toolName, arguments, call.options()));
    } catch (RuntimeException e) {
      call.completed(null, e);
      throw e;
    }
  }

  private ToolStream streamDirect(String toolName, Map<String, ?> arguments, CallOptions options) {
    var call = prepare(toolName, arguments, options);
    var worker = await(acquire(call), toolName);
    var stream = new ChunkIterator(this, worker, toolName, call.budget, call.deadlineNanos);
    long remaining = call.remainingNanos(ticker.read());
    if (remaining <= 0) {
      stream.close();
      throw new CallTimeoutException(toolName, worker.id, call.budget, CallTimeoutException.Phase.QUEUED, null);
    }
    call.running();
    streamStarted(worker, call.request);
    stream.start(worker.transport.stream(call.request, Duration.ofNanos(remaining), StreamCredit.INITIAL, stream.listener()));
    return stream;
  }

  /** Starts a streaming call that hands each chunk to {@code onChunk} (serially, on a transport thread). */
  public CompletableFuture<Void> stream(String toolName, Map<String, ?> arguments, CallOptions options, Consumer<StreamChunk> onChunk) {
    if (!instrumentation.active()) {
      return streamDirect(toolName, arguments, options, onChunk);
    }
    var call = instrumentation.toolCall(toolName, options, true);
    var outcome = streamDirect(toolName, arguments, call.options(), call.watching(onChunk));
    outcome.whenComplete((done, error) -> call.completed(null, error));
    return outcome;
  }

  private CompletableFuture<Void> streamDirect(String toolName, Map<String, ?> arguments, CallOptions options,
      Consumer<StreamChunk> onChunk) {
    PoolCall call;
    try {
      call = prepare(toolName, arguments, options);
    } catch (SnakepitException e) {
      return CompletableFuture.failedFuture(e);
    }
    var outcome = acquire(call).thenCompose(worker -> {
      var done = call.waitFor(new CompletableFuture<Void>());
      var callback = new CallbackStream(this, worker, toolName, call.budget, onChunk, done);
      call.running();
      streamStarted(worker, call.request);
      long remaining = Math.max(1, call.remainingNanos(ticker.read()));
      worker.transport.stream(call.request, Duration.ofNanos(remaining), StreamCredit.INITIAL, callback);
      return done;
    });
    outcome.whenComplete((r, e) -> call.done());
    return linked(outcome, call::cancel, null);
  }

  /** Releases a streaming call's worker (called once per stream). */
  void releaseStream(PooledWorker worker, String toolName, long startNanos, boolean failed) {
    (failed ? failedCalls : completedCalls).incrementAndGet();
    dispatcher.release(worker);
    if (listeners.active()) {
      var event = new PoolEventListener.CallFinished(toolName, worker.id, null, Duration.ofNanos(ticker.read() - startNanos),
          failed ? dev.snakepit.ErrorCode.TRANSPORT : null, 0, 0);
      listeners.fire(l -> l.callFinished(event));
    }
  }

  void streamStarted(PooledWorker worker, ToolRequest request) {
    if (listeners.active()) {
      listeners.fire(l -> l.callStarted(new PoolEventListener.CallStarted(request.toolName(), worker.id,
          request.sessionId().isEmpty() ? null : request.sessionId(), true)));
    }
  }

  /** Translates a stream failure synchronously (the consumer thread may wait for the crash to be confirmed). */
  RuntimeException translateStreamError(RuntimeException error, PooledWorker worker, String toolName, Duration budget) {
    try {
      translate(error, worker, toolName, budget).join();
      return new TransportException(toolName, worker.id, "UNKNOWN", "Stream of '" + toolName + "' failed", error);
    } catch (CompletionException e) {
      return (RuntimeException) unwrap(e);
    }
  }

  CompletableFuture<Void> translateStreamErrorAsync(RuntimeException error, PooledWorker worker, String toolName, Duration budget) {
    return translate(error, worker, toolName, budget);
  }

  /** The call's session route, opening (or touching) its session; null for a call outside sessions. */
  private Route route(String toolName, CallOptions options) {
    var sessionId = options.sessionId();
    if (sessionId == null || sessionId.isEmpty()) {
      return null;
    }
    if (dispatcher.isClosing()) {
      // Refused here, naming the tool, rather than by the session store refusing to reopen the session.
      throw new PoolClosedException(toolName, null);
    }
    sessions.open(sessionId);
    return new Route(sessionId, options.affinity() == null ? defaultAffinity : options.affinity());
  }

  static Throwable unwrap(Throwable error) {
    return CallErrors.unwrap(error);
  }

  static <T> T await(CompletableFuture<T> future, String toolName) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      var cause = unwrap(e);
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new TransportException(toolName, null, "UNKNOWN", "Call to '" + toolName + "' failed: " + cause, cause);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new TransportException(toolName, null, "CANCELLED", "Interrupted while waiting for '" + toolName + "'; the call was cancelled.", e);
    }
  }

  /** The injected clock's now. */
  long now() {
    return ticker.read();
  }

  /** After a cancelled or timed-out call: no calls for the worker until it shows it is idle. */
  void suspect(PooledWorker worker) {
    supervisor.suspect(worker);
  }
}
