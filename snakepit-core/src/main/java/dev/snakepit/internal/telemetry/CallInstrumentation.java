package dev.snakepit.internal.telemetry;

import dev.snakepit.CallInterceptor;
import dev.snakepit.CallOptions;
import dev.snakepit.PoolEventListener;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What happens around every call crossing the boundary: a correlation id for each tool call, the
 * configured {@link CallInterceptor}s, a DEBUG line per call on logger {@code dev.snakepit.calls}
 * (with the correlation id in the MDC), and for host tool calls the MDC of the handler's thread and
 * the {@link PoolEventListener#hostToolCalled} event. Costs nothing beyond the correlation id when
 * no interceptor is configured and the call log is off.
 */
public final class CallInstrumentation implements HostCallObserver {
  /** Logger of the per-call DEBUG lines. */
  public static final String CALL_LOGGER = "dev.snakepit.calls";
  /** Request metadata key of the correlation id. */
  public static final String CORRELATION_ID = "correlation_id";
  /** Request metadata key of the calling worker (host tool calls). */
  public static final String WORKER_ID = "snakepit.worker_id";

  private static final Logger LOG = LoggerFactory.getLogger(CallInstrumentation.class);
  private static final Logger CALLS = LoggerFactory.getLogger(CALL_LOGGER);
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final List<CallInterceptor> interceptors;
  private final List<PoolEventListener> listeners;

  /** Instrumentation with these interceptors, firing host tool events to these listeners. */
  public CallInstrumentation(List<CallInterceptor> interceptors, List<PoolEventListener> listeners) {
    this.interceptors = List.copyOf(interceptors);
    this.listeners = List.copyOf(listeners);
  }

  /** A fresh correlation id: 16 random hex digits. */
  public static String newCorrelationId() {
    long bits = ThreadLocalRandom.current().nextLong();
    var text = new char[16];
    for (int i = 15; i >= 0; i--) {
      text[i] = HEX[(int) (bits & 0xF)];
      bits >>>= 4;
    }
    return new String(text);
  }

  /** Whether tool calls need {@link #toolCall}: an interceptor is configured or the call log is on. */
  public boolean active() {
    return !interceptors.isEmpty() || CALLS.isDebugEnabled();
  }

  // ---------------------------------------------------------------------------------------------
  // Tool calls (Java -> Python)
  // ---------------------------------------------------------------------------------------------

  /**
   * Starts instrumenting a tool call, on the caller's thread: gives it a correlation id (unless it
   * has one) and lets the interceptors add metadata. Run the call with {@link Call#options()}.
   */
  public Call toolCall(String tool, CallOptions options, boolean streaming) {
    var metadata = new HashMap<>(options.metadata());
    var correlationId = metadata.computeIfAbsent(CORRELATION_ID, k -> newCorrelationId());
    var sessionId = options.sessionId() == null || options.sessionId().isEmpty() ? null : options.sessionId();
    var call = new CallInterceptor.ToolCall(tool, sessionId, streaming, correlationId);
    var completions = new ArrayList<CallInterceptor.Completion>(interceptors.size());
    for (var interceptor : interceptors) {
      try {
        completions.add(interceptor.toolCall(call, metadata));
      } catch (RuntimeException e) {
        LOG.warn("Call interceptor {} threw in toolCall; it is skipped for this call", interceptor.getClass().getName(), e);
      }
    }
    metadata.put(CORRELATION_ID, correlationId);
    var withMetadata = new CallOptions(options.timeout(), options.sessionId(), metadata, options.idempotent(), options.affinity());
    return new Call(tool, correlationId, streaming, withMetadata, completions);
  }

  /** One instrumented tool call. */
  public static final class Call {
    private final String tool;
    private final String correlationId;
    private final boolean streaming;
    private final CallOptions options;
    private final List<CallInterceptor.Completion> completions;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile String workerId;

    Call(String tool, String correlationId, boolean streaming, CallOptions options, List<CallInterceptor.Completion> completions) {
      this.tool = tool;
      this.correlationId = correlationId;
      this.streaming = streaming;
      this.options = options;
      this.completions = completions;
    }

    /** The options to run the call with: the caller's, plus the correlation id and interceptors' metadata. */
    public CallOptions options() {
      return options;
    }

    /** Ends the call (once; later calls are ignored). */
    public void completed(String workerId, Throwable error) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      var served = workerId != null ? workerId : this.workerId;
      var cause = unwrap(error);
      for (int i = completions.size() - 1; i >= 0; i--) {
        try {
          completions.get(i).completed(served, cause);
        } catch (RuntimeException e) {
          LOG.warn("Call interceptor completion {} threw", completions.get(i).getClass().getName(), e);
        }
      }
      if (CALLS.isDebugEnabled()) {
        logCall(served, cause);
      }
    }

    private void logCall(String served, Throwable cause) {
      var millis = (System.nanoTime() - startNanos) / 1e6;
      MDC.put(WorkerOutput.MDC_CORRELATION_ID, correlationId);
      try {
        var kind = streaming ? "Stream" : "Call";
        if (cause == null) {
          CALLS.debug("{} {} succeeded in {} ms on {} (correlation_id={})", kind, tool, String.format("%.1f", millis),
              served, correlationId);
        } else {
          var code = cause instanceof SnakepitException se ? se.code().name() : cause.getClass().getSimpleName();
          CALLS.debug("{} {} failed in {} ms on {} with {}: {} (correlation_id={})", kind, tool, String.format("%.1f", millis),
              served, code, cause.getMessage(), correlationId);
        }
      } finally {
        MDC.remove(WorkerOutput.MDC_CORRELATION_ID);
      }
    }

    /** Wraps a chunk consumer so the call learns which worker streams to it. */
    public Consumer<StreamChunk> watching(Consumer<StreamChunk> onChunk) {
      return chunk -> {
        noteWorker(chunk);
        onChunk.accept(chunk);
      };
    }

    /** Wraps a stream so the call completes when the stream ends, fails or is closed. */
    public ToolStream watching(ToolStream stream) {
      return new WatchedStream(stream, this);
    }

    void noteWorker(StreamChunk chunk) {
      if (workerId == null) {
        var id = chunk.metadata().get(WORKER_ID);
        if (id != null) {
          workerId = id;
        }
      }
    }
  }

  /** A stream that completes its call when it is exhausted, fails or is closed. */
  private static final class WatchedStream implements ToolStream {
    private final ToolStream delegate;
    private final Call call;

    WatchedStream(ToolStream delegate, Call call) {
      this.delegate = delegate;
      this.call = call;
    }

    @Override
    public boolean hasNext() {
      try {
        boolean more = delegate.hasNext();
        if (!more) {
          call.completed(null, null);
        }
        return more;
      } catch (RuntimeException e) {
        call.completed(null, e);
        throw e;
      }
    }

    @Override
    public StreamChunk next() {
      try {
        var chunk = delegate.next();
        call.noteWorker(chunk);
        return chunk;
      } catch (RuntimeException e) {
        call.completed(null, e);
        throw e;
      }
    }

    @Override
    public void close() {
      try {
        delegate.close();
      } finally {
        call.completed(null, null);
      }
    }
  }

  static Throwable unwrap(Throwable error) {
    var current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  // ---------------------------------------------------------------------------------------------
  // Host tool calls (Python -> Java)
  // ---------------------------------------------------------------------------------------------

  @Override
  public CallInterceptor.Completion start(String tool, String sessionId, Map<String, String> metadata) {
    var workerId = blankToNull(metadata.get(WORKER_ID));
    var correlationId = blankToNull(metadata.get(CORRELATION_ID));
    var session = blankToNull(sessionId);
    putOrRemove(WorkerOutput.MDC_CORRELATION_ID, correlationId);
    putOrRemove(WorkerOutput.MDC_WORKER_ID, workerId);
    MDC.put(WorkerOutput.MDC_TOOL, tool);
    List<CallInterceptor.Completion> completions = List.of();
    if (!interceptors.isEmpty()) {
      var call = new CallInterceptor.HostToolCall(tool, session, workerId, correlationId, metadata);
      completions = new ArrayList<>(interceptors.size());
      for (var interceptor : interceptors) {
        try {
          completions.add(interceptor.hostToolCall(call));
        } catch (RuntimeException e) {
          LOG.warn("Call interceptor {} threw in hostToolCall; it is skipped for this call", interceptor.getClass().getName(), e);
        }
      }
    }
    long startNanos = System.nanoTime();
    var ends = completions;
    return (ignored, error) -> {
      for (int i = ends.size() - 1; i >= 0; i--) {
        try {
          ends.get(i).completed(workerId, error);
        } catch (RuntimeException e) {
          LOG.warn("Call interceptor completion {} threw", ends.get(i).getClass().getName(), e);
        }
      }
      var duration = Duration.ofNanos(System.nanoTime() - startNanos);
      if (CALLS.isDebugEnabled()) {
        CALLS.debug("Host tool {} called by {} {} in {} ms (correlation_id={})", tool, workerId,
            error == null ? "succeeded" : "failed with " + error.getClass().getSimpleName(), duration.toMillis(), correlationId);
      }
      if (!listeners.isEmpty()) {
        var event = new PoolEventListener.HostToolCalled(tool, session, workerId, duration,
            error == null ? null : error.getClass().getName());
        for (var listener : listeners) {
          try {
            listener.hostToolCalled(event);
          } catch (RuntimeException e) {
            LOG.warn("Pool event listener {} threw; the event is dropped for it", listener.getClass().getName(), e);
          }
        }
      }
      MDC.remove(WorkerOutput.MDC_CORRELATION_ID);
      MDC.remove(WorkerOutput.MDC_WORKER_ID);
      MDC.remove(WorkerOutput.MDC_TOOL);
    };
  }

  private static String blankToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static void putOrRemove(String key, String value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, value);
    }
  }
}
