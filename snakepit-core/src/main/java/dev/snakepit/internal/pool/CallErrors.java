package dev.snakepit.internal.pool;

import dev.snakepit.CallTimeoutException;
import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.PythonException;
import dev.snakepit.SnakepitException;
import dev.snakepit.TransportException;
import dev.snakepit.WorkerCrashedException;
import dev.snakepit.internal.codec.ErrorDecoder;
import dev.snakepit.internal.transport.RemoteToolError;
import dev.snakepit.internal.transport.TransportFailure;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place that turns what a transport reports (a {@link TransportFailure}, a
 * {@link RemoteToolError}, a tool's error document, a cancellation) into the library's
 * {@link SnakepitException}s, and that says what a failure means for the worker.
 */
final class CallErrors {
  private final int maxMessageSize;

  CallErrors(int maxMessageSize) {
    this.maxMessageSize = maxMessageSize;
  }

  /** Decodes a worker's error document; the worker's own enforcement of the budget counts as a timeout. */
  SnakepitException toolError(String errorJson, String toolName, String workerId, Duration budget) {
    var error = ErrorDecoder.decode(errorJson, toolName, workerId);
    if (error instanceof PythonException python && "CancelledError".equals(python.pythonType())
        && "timeout".equals(python.context().get("reason"))) {
      return new CallTimeoutException(toolName, workerId, budget, CallTimeoutException.Phase.RUNNING, null);
    }
    return error;
  }

  /**
   * Whether the worker may have died: a lost connection, a cancellation from the transport's side, or
   * an internal failure without an error document. The caller checks the process before blaming the
   * transport.
   */
  static boolean mayBeCrash(Throwable error) {
    return error instanceof TransportFailure failure && switch (failure.kind()) {
      case CONNECTION_LOST, CANCELLED, INTERNAL -> true;
      default -> false;
    };
  }

  /**
   * Whether the worker may still be busy with (or stuck in) the failed call, so that it must show
   * it is idle before it gets another: the call timed out or was cancelled, or the connection dropped.
   */
  static boolean leavesWorkerSuspect(Throwable transportError, SnakepitException toolError) {
    return transportError instanceof CancellationException
        || toolError instanceof CallTimeoutException
        || transportError instanceof TransportFailure failure && failure.kind() == TransportFailure.Kind.DEADLINE_EXCEEDED
        || mayBeCrash(transportError);
  }

  /** Whether the transport gave up because the call's deadline passed. */
  static boolean isDeadline(Throwable error) {
    return error instanceof TransportFailure failure && failure.kind() == TransportFailure.Kind.DEADLINE_EXCEEDED;
  }

  /** Maps a failure of a call to {@code toolName} (null for a call that is not a tool call) on a worker. */
  RuntimeException map(Throwable error, String toolName, String workerId, Duration budget) {
    return switch (unwrap(error)) {
      case RemoteToolError remote -> toolError(remote.errorJson(), toolName, workerId, budget);
      case TransportFailure failure -> map(failure, toolName, workerId, budget);
      case CallTimeoutException timeout when !timeout.timeout().equals(budget) ->
          new CallTimeoutException(toolName, workerId, budget, CallTimeoutException.Phase.RUNNING, null);
      case RuntimeException other -> other;
      case Throwable other -> new TransportException(toolName, workerId, "UNKNOWN",
          what(toolName) + " on worker " + workerId + " failed: " + other, other);
    };
  }

  private SnakepitException map(TransportFailure failure, String toolName, String workerId, Duration budget) {
    return switch (failure.kind()) {
      case DEADLINE_EXCEEDED -> new CallTimeoutException(toolName, workerId, budget, CallTimeoutException.Phase.RUNNING, null);
      case MESSAGE_TOO_LARGE -> new PayloadTooLargeException(toolName,
          failure.size() >= 0 ? failure.detail() : "a message (" + failure.detail() + ")", failure.size(), maxMessageSize,
          workerId);
      default -> {
        var hint = switch (failure.kind()) {
          case CONNECTION_LOST -> " The worker is not reachable (it may have exited).";
          case UNAUTHENTICATED -> " The worker rejected the pool's token: is another process listening on its port?";
          case UNIMPLEMENTED -> " The worker does not implement this RPC (an older or foreign worker?).";
          default -> "";
        };
        yield new TransportException(toolName, workerId, failure.code(), what(toolName) + " on worker " + workerId
            + " failed: " + failure.code() + (failure.detail().isEmpty() ? "" : " " + failure.detail()) + "." + hint, failure);
      }
    };
  }

  /** The error of calls that were running on a worker whose process exited with {@code exitCode}. */
  static WorkerCrashedException crashed(String toolName, String workerId, int exitCode, String stderrTail,
      String oomKillEvidence) {
    Integer signal = exitCode > 128 ? exitCode - 128 : null;
    Integer exit = exitCode > 128 ? null : exitCode;
    return new WorkerCrashedException(toolName, workerId, exit, signal, stderrTail, oomKillEvidence);
  }

  private static String what(String toolName) {
    return toolName == null ? "Call" : "Call to '" + toolName + "'";
  }

  static Throwable unwrap(Throwable error) {
    var current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }
}
