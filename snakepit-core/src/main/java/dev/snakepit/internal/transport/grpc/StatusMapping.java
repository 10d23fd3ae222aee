package dev.snakepit.internal.transport.grpc;

import dev.snakepit.internal.transport.RemoteToolError;
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.internal.transport.TransportFailure.Kind;
import io.grpc.Status;

/** Maps gRPC failures to the transport's typed failures; the only place that knows gRPC status codes. */
final class StatusMapping {
  private StatusMapping() {}

  static RuntimeException map(Throwable failure) {
    var status = Status.fromThrowable(failure);
    var description = status.getDescription() == null ? "" : status.getDescription();
    var code = status.getCode();
    return switch (code) {
      case DEADLINE_EXCEEDED -> failure(Kind.DEADLINE_EXCEEDED, status, failure);
      case RESOURCE_EXHAUSTED -> description.contains("larger than max") || description.contains("too large")
          ? failure(Kind.MESSAGE_TOO_LARGE, status, failure)
          : failure(Kind.OTHER, status, failure);
      case INTERNAL, UNKNOWN, INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION -> description.startsWith("{")
          ? new RemoteToolError(description)
          : failure(code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN ? Kind.INTERNAL : Kind.OTHER, status, failure);
      case UNAVAILABLE -> failure(Kind.CONNECTION_LOST, status, failure);
      case CANCELLED -> failure(Kind.CANCELLED, status, failure);
      case UNAUTHENTICATED -> failure(Kind.UNAUTHENTICATED, status, failure);
      case UNIMPLEMENTED -> failure(Kind.UNIMPLEMENTED, status, failure);
      default -> failure(Kind.OTHER, status, failure);
    };
  }

  private static TransportFailure failure(Kind kind, Status status, Throwable cause) {
    return new TransportFailure(kind, status.getCode().name(), status.getDescription(), cause);
  }
}
