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
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.internal.transport.WorkerStatus;
import dev.snakepit.internal.transport.WorkerTransport;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One worker's gRPC channel. */
final class GrpcWorkerTransport implements WorkerTransport {
  /** Ping trailer in which our worker lists optional features it supports (comma-separated). */
  static final Metadata.Key<String> FEATURES = Metadata.Key.of("snakepit-features", Metadata.ASCII_STRING_MARSHALLER);
  /** Request metadata prefix: {@code snakepit.shm:<argument>} names the file holding that bytes argument. */
  static final String SHM_ARGUMENT_PREFIX = "snakepit.shm:";
  /** Request metadata: bytes results of at least this many bytes may come back through shared memory. */
  static final String SHM_RESULTS = "snakepit.shm_results";
  /** Response metadata: the file holding the bytes result. */
  static final String SHM_RESULT = "snakepit.shm_result";

  private final ManagedChannel channel;
  private final String workerId;
  private final int maxMessageSize;
  private final SharedMemory sharedMemory;
  /** Whether the worker said (in a Ping trailer) that it reads and writes shared-memory files. */
  private volatile boolean workerTakesSharedMemory;

  GrpcWorkerTransport(ManagedChannel channel, String workerId, int maxMessageSize, SharedMemory sharedMemory) {
    this.channel = channel;
    this.workerId = workerId;
    this.maxMessageSize = maxMessageSize;
    this.sharedMemory = sharedMemory;
  }

  @Override
  public CompletableFuture<WorkerStatus> ping(Duration timeout) {
    var future = new CompletableFuture<WorkerStatus>();
    var call = channel.newCall(BridgeServiceGrpc.getPingMethod(), deadline(timeout).withWaitForReady());
    // A raw listener rather than a stub observer: the features arrive as a trailer.
    call.start(new ClientCall.Listener<>() {
      private PingResponse response;

      @Override
      public void onMessage(PingResponse message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (!status.isOk() || response == null) {
          var failure = status.isOk() ? Status.INTERNAL.withDescription("Ping returned no message").asRuntimeException()
              : status.asRuntimeException(trailers);
          future.completeExceptionally(StatusMapping.map(failure));
          return;
        }
        var features = trailers.get(FEATURES);
        workerTakesSharedMemory = sharedMemory != null && features != null && List.of(features.split(",")).contains("shm");
        future.complete(new WorkerStatus(response.getActiveCalls(), response.getBusyThreads()));
      }
    }, new Metadata());
    call.sendMessage(PingRequest.newBuilder().setMessage("snakepit-java").build());
    call.halfClose();
    call.request(2);
    return future;
  }

  @Override
  public CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout) {
    var future = new CompletableFuture<ToolResponse>();
    var handoff = new Handoff();
    var message = encode(request, false, handoff);
    ClientCall<ExecuteToolRequest, ExecuteToolResponse> call =
        channel.newCall(BridgeServiceGrpc.getExecuteToolMethod(), deadline(timeout));
    ClientCalls.asyncUnaryCall(call, message, new UnaryObserver<ExecuteToolResponse>() {
      @Override
      public void onNext(ExecuteToolResponse value) {
        try {
          future.complete(decode(value, handoff, request.toolName()));
        } catch (TransportFailure e) {
          future.completeExceptionally(e);
        } catch (RuntimeException e) {
          future.completeExceptionally(new TransportFailure(TransportFailure.Kind.PROTOCOL_ERROR, "INTERNAL",
              "returned an unreadable result: " + e.getMessage(), e));
        }
      }

      @Override
      public void onError(Throwable t) {
        future.completeExceptionally(StatusMapping.map(t));
      }
    });
    future.whenComplete((r, e) -> {
      if (future.isCancelled()) {
        call.cancel("cancelled by the caller", null);
      }
      // After an answer the worker is done with the files; after a failure it may not be: never reuse those.
      handoff.release(e == null);
    });
    return future;
  }

  @Override
  public StreamCall stream(ToolRequest request, Duration timeout, int initialRequest, ChunkListener listener) {
    var handoff = new Handoff();
    var message = encode(request, true, handoff);
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
        handoff.release(false);
        listener.onError(StatusMapping.map(t));
      }

      @Override
      public void onCompleted() {
        handoff.release(true);
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
    ClientCalls.asyncServerStreamingCall(call, message, observer);
    return handle;
  }

  @Override
  public void streamTelemetry(java.util.function.Consumer<dev.snakepit.PoolEventListener.TelemetryEvent> sink) {
    TelemetryStream.open(channel, workerId, sink);
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

  /** The shared-memory slots one call holds; released when the call ends. */
  private final class Handoff {
    private List<SharedMemory.Slot> slots = List.of();
    private SharedMemory.Slot result;

    void add(SharedMemory.Slot slot) {
      if (slots.isEmpty()) {
        slots = new ArrayList<>(2);
      }
      slots.add(slot);
    }

    void release(boolean reusable) {
      for (var slot : slots) {
        sharedMemory.release(slot, reusable);
      }
      slots = List.of();
      if (result != null) {
        sharedMemory.release(result, reusable);
        result = null;
      }
    }
  }

  /**
   * Builds the request message. Bytes arguments of {@link SharedMemory#THRESHOLD} or more go
   * through shared memory when the worker takes it (the slots join {@code handoff}, released when
   * the call ends), as may a large bytes result; smaller arguments are wrapped, never copied.
   */
  private ExecuteToolRequest encode(ToolRequest request, boolean stream, Handoff handoff) {
    var builder = ExecuteToolRequest.newBuilder()
        .setToolName(request.toolName())
        .setSessionId(request.sessionId() == null ? "" : request.sessionId())
        .putAllMetadata(request.metadata())
        .setStream(stream);
    request.jsonArguments().forEach((name, json) -> builder.putParameters(name, AnyCodec.parameter(json)));
    boolean sharedMemoryOk = workerTakesSharedMemory;
    for (var entry : request.binaryArguments().entrySet()) {
      var bytes = entry.getValue();
      boolean handedOff = sharedMemoryOk && bytes.remaining() >= SharedMemory.THRESHOLD
          && handOff(entry.getKey(), bytes, builder, handoff);
      if (!handedOff) {
        // Wrap, never copy: the argument is serialized straight from the caller's buffer.
        builder.putBinaryParameters(entry.getKey(), UnsafeByteOperations.unsafeWrap(bytes.duplicate()));
      }
    }
    if (sharedMemoryOk && !stream) {
      // The worker may write a large bytes result into this slot (the file need not exist yet).
      handoff.result = sharedMemory.acquire();
      builder.putMetadata(SHM_RESULTS, SharedMemory.THRESHOLD + ":" + handoff.result.name);
    }
    return builder.build();
  }

  /** Writes one argument to a shared-memory file; false (and the argument goes inline) if that fails. */
  private boolean handOff(String name, ByteBuffer bytes, ExecuteToolRequest.Builder builder, Handoff handoff) {
    var slot = sharedMemory.acquire();
    try {
      sharedMemory.write(slot, bytes);
    } catch (UncheckedIOException e) {
      // /dev/shm full or gone: gRPC still carries the bytes, only slower (SharedMemory counted it and logged it once).
      sharedMemory.release(slot, false);
      return false;
    }
    handoff.add(slot);
    builder.putMetadata(SHM_ARGUMENT_PREFIX + name, slot.name + ":" + bytes.remaining());
    builder.putBinaryParameters(name, ByteString.EMPTY);
    return true;
  }

  private ToolResponse decode(ExecuteToolResponse response, Handoff handoff, String toolName) {
    var metadata = response.getMetadataMap();
    var sharedResult = metadata.get(SHM_RESULT);
    if (sharedResult != null) {
      metadata = new HashMap<>(metadata);
      metadata.remove(SHM_RESULT);
    }
    if (!response.getSuccess()) {
      return new ToolResponse(false, null, null, response.getErrorMessage(), metadata, response.getExecutionTimeMs());
    }
    var result = response.getResult();
    ByteBuffer binaryResult;
    if (sharedResult != null) {
      // "<slot>:<length>", and only the slot this call offered.
      int colon = sharedResult.lastIndexOf(':');
      var slot = handoff.result;
      if (slot == null || colon < 0 || !slot.name.equals(sharedResult.substring(0, colon))) {
        throw new IllegalStateException("the worker named an unexpected shared-memory result '" + sharedResult + "'");
      }
      long length = Long.parseLong(sharedResult.substring(colon + 1));
      if (length > maxMessageSize) {
        // The same limit as for a result inside a message.
        throw new TransportFailure(TransportFailure.Kind.MESSAGE_TOO_LARGE, "RESULT_TOO_LARGE", "the result", length, null);
      }
      binaryResult = sharedMemory.read(slot, length);
    } else {
      binaryResult = response.getBinaryResult().asReadOnlyByteBuffer();
      if (handoff.result != null && binaryResult.remaining() >= SharedMemory.THRESHOLD) {
        sharedMemory.resultFellBack(workerId, binaryResult.remaining());
      }
    }
    boolean binary = AnyCodec.isBinary(result) || (!response.hasResult() && binaryResult.hasRemaining());
    return new ToolResponse(true,
        binary ? null : (response.hasResult() ? result.getValue().toByteArray() : null),
        binary ? binaryResult : null,
        null, metadata, response.getExecutionTimeMs());
  }

  /** Unary calls deliver one value then complete; only onNext and onError matter. */
  private abstract static class UnaryObserver<T> implements StreamObserver<T> {
    @Override
    public void onCompleted() {}
  }
}
