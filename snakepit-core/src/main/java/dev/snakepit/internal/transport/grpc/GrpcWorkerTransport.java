package dev.snakepit.internal.transport.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.snakepit.StreamChunk;
import dev.snakepit.internal.proto.BridgeServiceGrpc;
import dev.snakepit.internal.proto.ExecuteToolRequest;
import dev.snakepit.internal.proto.ExecuteToolResponse;
import dev.snakepit.internal.proto.PingRequest;
import dev.snakepit.internal.proto.PingResponse;
import dev.snakepit.internal.proto.ToolChunk;
import dev.snakepit.internal.transport.ChunkListener;
import dev.snakepit.internal.transport.StreamCall;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.WorkerStatus;
import dev.snakepit.internal.transport.WorkerTransport;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One worker's gRPC channel. */
final class GrpcWorkerTransport implements WorkerTransport {
  private final ManagedChannel channel;
  private final String workerId;
  private final int maxMessageSize;

  GrpcWorkerTransport(ManagedChannel channel, String workerId, int maxMessageSize) {
    this.channel = channel;
    this.workerId = workerId;
    this.maxMessageSize = maxMessageSize;
  }

  @Override
  public CompletableFuture<WorkerStatus> ping(Duration timeout) {
    var future = new CompletableFuture<WorkerStatus>();
    var call = channel.newCall(BridgeServiceGrpc.getPingMethod(), deadline(timeout).withWaitForReady());
    ClientCalls.asyncUnaryCall(call, PingRequest.newBuilder().setMessage("snakepit-java").build(),
        new UnaryObserver<PingResponse>() {
          @Override
          public void onNext(PingResponse value) {
            future.complete(new WorkerStatus(value.getActiveCalls(), value.getBusyThreads()));
          }

          @Override
          public void onError(Throwable t) {
            future.completeExceptionally(StatusMapping.map(t, "Ping", workerId, timeout, maxMessageSize));
          }
        });
    return future;
  }

  @Override
  public CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout) {
    var future = new CompletableFuture<ToolResponse>();
    ClientCall<ExecuteToolRequest, ExecuteToolResponse> call =
        channel.newCall(BridgeServiceGrpc.getExecuteToolMethod(), deadline(timeout));
    ClientCalls.asyncUnaryCall(call, encode(request, false), new UnaryObserver<ExecuteToolResponse>() {
      @Override
      public void onNext(ExecuteToolResponse value) {
        future.complete(decode(value));
      }

      @Override
      public void onError(Throwable t) {
        future.completeExceptionally(StatusMapping.map(t, request.toolName(), workerId, timeout, maxMessageSize));
      }
    });
    future.whenComplete((r, e) -> {
      if (future.isCancelled()) {
        call.cancel("cancelled by the caller", null);
      }
    });
    return future;
  }

  @Override
  public StreamCall stream(ToolRequest request, Duration timeout, int initialRequest, ChunkListener listener) {
    ClientCall<ExecuteToolRequest, ToolChunk> call =
        channel.newCall(BridgeServiceGrpc.getExecuteStreamingToolMethod(), deadline(timeout));
    var observer = new ClientResponseObserver<ExecuteToolRequest, ToolChunk>() {
      private long sequence;

      @Override
      public void beforeStart(ClientCallStreamObserver<ExecuteToolRequest> requestStream) {
        requestStream.disableAutoRequestWithInitial(initialRequest);
      }

      @Override
      public void onNext(ToolChunk chunk) {
        sequence++;
        listener.onChunk(new StreamChunk(sequence, chunk.getData().toByteArray(), chunk.getIsFinal(), chunk.getMetadataMap()));
      }

      @Override
      public void onError(Throwable t) {
        listener.onError(StatusMapping.map(t, request.toolName(), workerId, timeout, maxMessageSize));
      }

      @Override
      public void onCompleted() {
        listener.onCompleted();
      }
    };
    var handle = new StreamCall() {
      @Override
      public void request(int count) {
        call.request(count);
      }

      @Override
      public void cancel(String reason) {
        call.cancel(reason, null);
      }
    };
    listener.onStart(handle);
    ClientCalls.asyncServerStreamingCall(call, encode(request, true), observer);
    return handle;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static CallOptions deadline(Duration timeout) {
    return CallOptions.DEFAULT.withDeadlineAfter(Math.max(1, timeout.toNanos()), TimeUnit.NANOSECONDS);
  }

  private static ExecuteToolRequest encode(ToolRequest request, boolean stream) {
    var builder = ExecuteToolRequest.newBuilder()
        .setToolName(request.toolName())
        .setSessionId(request.sessionId() == null ? "" : request.sessionId())
        .putAllMetadata(request.metadata())
        .setStream(stream);
    request.jsonArguments().forEach((name, json) -> builder.putParameters(name, AnyCodec.parameter(json)));
    // Wrap, never copy: a 64 MiB argument is serialized straight from the caller's buffer.
    request.binaryArguments().forEach((name, bytes) -> builder.putBinaryParameters(name, UnsafeByteOperations.unsafeWrap(bytes.duplicate())));
    return builder.build();
  }

  private static ToolResponse decode(ExecuteToolResponse response) {
    if (!response.getSuccess()) {
      return new ToolResponse(false, null, null, response.getErrorMessage(), response.getMetadataMap(), response.getExecutionTimeMs());
    }
    var result = response.getResult();
    boolean binary = AnyCodec.isBinary(result) || (!response.hasResult() && !response.getBinaryResult().isEmpty());
    ByteString binaryResult = response.getBinaryResult();
    return new ToolResponse(true,
        binary ? null : (response.hasResult() ? result.getValue().toByteArray() : null),
        binary ? binaryResult.asReadOnlyByteBuffer() : null,
        null, response.getMetadataMap(), response.getExecutionTimeMs());
  }

  /** Unary calls deliver one value then complete; only onNext and onError matter. */
  private abstract static class UnaryObserver<T> implements StreamObserver<T> {
    @Override
    public void onCompleted() {}
  }
}
