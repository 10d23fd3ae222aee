package dev.snakepit.internal.transport.grpc;

import dev.snakepit.CallTimeoutException;
import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.TransportException;
import dev.snakepit.internal.transport.RemoteToolError;
import io.grpc.Status;
import java.time.Duration;

/** Maps gRPC failures to the library's errors; the only place that knows gRPC status codes. */
final class StatusMapping {
  private StatusMapping() {}

  static RuntimeException map(Throwable failure, String toolName, String workerId, Duration timeout, int maxMessageSize) {
    var status = Status.fromThrowable(failure);
    var description = status.getDescription() == null ? "" : status.getDescription();
    return switch (status.getCode()) {
      case DEADLINE_EXCEEDED -> new CallTimeoutException(toolName, workerId, timeout, CallTimeoutException.Phase.RUNNING, null);
      case RESOURCE_EXHAUSTED -> description.contains("larger than max") || description.contains("too large")
          ? new PayloadTooLargeException(toolName, "a message (" + description + ")", -1, maxMessageSize, workerId)
          : transport(status, toolName, workerId, failure);
      case INTERNAL, UNKNOWN, INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION ->
          description.startsWith("{") ? new RemoteToolError(description) : transport(status, toolName, workerId, failure);
      default -> transport(status, toolName, workerId, failure);
    };
  }

  private static TransportException transport(Status status, String toolName, String workerId, Throwable cause) {
    var what = toolName == null ? "Call" : "Call to '" + toolName + "'";
    var hint = switch (status.getCode()) {
      case UNAVAILABLE -> " The worker is not reachable (it may have exited).";
      case UNAUTHENTICATED -> " The worker rejected the pool's token: is another process listening on its port?";
      case UNIMPLEMENTED -> " The worker does not implement this RPC (an older or foreign worker?).";
      default -> "";
    };
    return new TransportException(toolName, workerId, status.getCode().name(),
        what + " on worker " + workerId + " failed: " + status.getCode() + (status.getDescription() == null ? "" : " " + status.getDescription()) + "." + hint,
        cause);
  }
}
