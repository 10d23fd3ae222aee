package dev.snakepit.internal.transport.grpc;

import dev.snakepit.PoolEventListener;
import dev.snakepit.internal.proto.BridgeServiceGrpc;
import dev.snakepit.internal.proto.TelemetryControl;
import dev.snakepit.internal.proto.TelemetryEvent;
import dev.snakepit.internal.proto.TelemetryToggle;
import dev.snakepit.internal.proto.TelemetryValue;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of {@code StreamTelemetry}: one long-lived stream per worker, opened once the
 * worker is ready, that turns each {@code TelemetryEvent} the worker's tools emit into a
 * {@link PoolEventListener.TelemetryEvent}. The stream ends when the worker's channel closes; a worker
 * that does not implement it (a foreign Snakepit script) is simply not heard.
 */
public final class TelemetryStream {
  private static final Logger LOG = LoggerFactory.getLogger(TelemetryStream.class);

  private TelemetryStream() {}

  /** Opens the stream on {@code channel} and hands every event to {@code sink} (on a transport thread). */
  public static void open(Channel channel, String workerId, Consumer<PoolEventListener.TelemetryEvent> sink) {
    var call = channel.newCall(BridgeServiceGrpc.getStreamTelemetryMethod(), CallOptions.DEFAULT);
    var control = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<TelemetryEvent>() {
      @Override
      public void onNext(TelemetryEvent event) {
        sink.accept(decode(workerId, event));
      }

      @Override
      public void onError(Throwable error) {
        var status = Status.fromThrowable(error);
        if (status.getCode() == Status.Code.UNIMPLEMENTED) {
          LOG.debug("Worker {} does not stream telemetry", workerId);
        } else if (status.getCode() != Status.Code.CANCELLED && status.getCode() != Status.Code.UNAVAILABLE) {
          LOG.debug("Telemetry stream of worker {} ended: {}", workerId, status);
        }
      }

      @Override
      public void onCompleted() {
        LOG.debug("Telemetry stream of worker {} completed", workerId);
      }
    });
    // The control side stays open: it is how the host could change sampling or filters later.
    control.onNext(TelemetryControl.newBuilder().setToggle(TelemetryToggle.newBuilder().setEnabled(true)).build());
  }

  /** The event as listeners see it: dotted name, measurements as Long, Double or String. */
  static PoolEventListener.TelemetryEvent decode(String workerId, TelemetryEvent event) {
    var measurements = new LinkedHashMap<String, Object>();
    for (var entry : event.getMeasurementsMap().entrySet()) {
      measurements.put(entry.getKey(), value(entry.getValue()));
    }
    var correlationId = event.getCorrelationId().isEmpty() ? null : event.getCorrelationId();
    return new PoolEventListener.TelemetryEvent(workerId, String.join(".", event.getEventPartsList()),
        Map.copyOf(measurements), Map.copyOf(event.getMetadataMap()), event.getTimestampNs(), correlationId);
  }

  private static Object value(TelemetryValue value) {
    return switch (value.getValueCase()) {
      case INT_VALUE -> value.getIntValue();
      case FLOAT_VALUE -> value.getFloatValue();
      case STRING_VALUE -> value.getStringValue();
      case VALUE_NOT_SET -> "";
    };
  }
}
