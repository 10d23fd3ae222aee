package dev.snakepit.internal.transport.grpc;

import dev.snakepit.ToolInfo;
import dev.snakepit.internal.proto.BridgeServiceGrpc;
import dev.snakepit.internal.proto.HostChannelDown;
import dev.snakepit.internal.proto.HostChannelHello;
import dev.snakepit.internal.proto.HostChannelReply;
import dev.snakepit.internal.proto.HostChannelUp;
import dev.snakepit.internal.tools.HostCalls;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's end of one {@code OpenHostChannel} stream to a remote worker: the worker cannot dial
 * back to the JVM, so the host opens this stream and the worker sends its tool registration and its
 * host-tool calls down it. Each call runs on its own host-call thread and its answer goes back up
 * the stream. When the stream ends (the worker stopped, the link broke, {@link #close()}), the
 * handlers still running are interrupted and {@code onClosed} learns why.
 */
public final class HostChannel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HostChannel.class);

  /** What the stream delivers besides host calls. */
  public interface Events {
    /** The worker registered its tools (the first message of every stream). */
    void registered(List<ToolInfo> tools);

    /** The stream ended; {@code reason} says how. Called once. */
    void closed(String reason);
  }

  private final String name;
  private final HostCalls hostCalls;
  private final Executor handlers;
  private final Events events;
  private final Map<Long, HostCalls.Pending> running = new ConcurrentHashMap<>();
  private volatile ClientCallStreamObserver<HostChannelUp> upstream;
  private volatile boolean closed;

  private HostChannel(String name, HostCalls hostCalls, Executor handlers, Events events) {
    this.name = name;
    this.hostCalls = hostCalls;
    this.handlers = handlers;
    this.events = events;
  }

  /**
   * Opens the stream on {@code channel} and says hello as {@code hostId}.
   *
   * @param name the worker, for logs and reasons
   * @param handlers where host tool calls wait for their handler (one thread per call)
   */
  public static HostChannel open(Channel channel, String name, String hostId, HostCalls hostCalls, Executor handlers,
      Events events) {
    var hostChannel = new HostChannel(name, hostCalls, handlers, events);
    BridgeServiceGrpc.newStub(channel).openHostChannel(hostChannel.new Downstream());
    hostChannel.send(HostChannelUp.newBuilder().setHello(HostChannelHello.newBuilder().setHostId(hostId)).build());
    return hostChannel;
  }

  /** Whether the stream is still open. */
  public boolean isOpen() {
    return !closed;
  }

  /** Host calls whose handler still runs. */
  public int running() {
    return running.size();
  }

  /** Cancels the stream; handlers still running are interrupted. */
  @Override
  public void close() {
    var stream = upstream;
    if (stream != null && !closed) {
      stream.cancel("the host let go of worker " + name, null);
    }
    ended("the host closed it");
  }

  private synchronized void send(HostChannelUp message) {
    if (!closed) {
      upstream.onNext(message);
    }
  }

  private void ended(String reason) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    running.values().forEach(HostCalls.Pending::cancel);
    running.clear();
    events.closed(reason);
  }

  private void handle(HostChannelDown down) {
    switch (down.getRequestCase()) {
      case REGISTER -> events.registered(
          down.getRegister().getToolsList().stream().map(HostBridgeServer::toToolInfo).toList());
      case TOOLS -> send(reply(down).setTools(HostBridgeServer.exposedTools(hostCalls, down.getTools().getSessionId())));
      case EXECUTE -> execute(down);
      case REQUEST_NOT_SET -> send(reply(down).setFailure("the host does not know this request (a newer worker?)"));
    }
  }

  private void execute(HostChannelDown down) {
    var request = down.getExecute();
    var pending = hostCalls.start(request.getSessionId(), request.getToolName(), request.getMetadataMap(),
        () -> HostBridgeServer.decodeArguments(request),
        down.getTimeoutMs() > 0 ? Duration.ofMillis(down.getTimeoutMs()) : null);
    running.put(down.getCallId(), pending);
    if (closed) {  // the stream ended while this call started: ended() may have missed it
      running.remove(down.getCallId());
      pending.cancel();
      return;
    }
    try {
      handlers.execute(() -> {
        try {
          var outcome = pending.await();
          if (running.remove(down.getCallId()) != null) {
            send(reply(down).setExecute(HostBridgeServer.toResponse(outcome)));
          }
        } catch (RuntimeException e) {
          running.remove(down.getCallId());
          LOG.warn("Host tool {} for worker {} failed outside its handler", request.getToolName(), name, e);
          send(reply(down).setFailure("the host failed to run " + request.getToolName() + ": " + e));
        }
      });
    } catch (RejectedExecutionException e) {
      running.remove(down.getCallId());
      pending.cancel();
      send(reply(down).setFailure("the host is closing"));
    }
  }

  private static HostChannelReply.Builder reply(HostChannelDown down) {
    return HostChannelReply.newBuilder().setCallId(down.getCallId());
  }

  private void send(HostChannelReply.Builder reply) {
    send(HostChannelUp.newBuilder().setReply(reply).build());
  }

  /** Receives the worker's messages (on the gRPC event loop: nothing here blocks). */
  private final class Downstream implements ClientResponseObserver<HostChannelUp, HostChannelDown> {
    @Override
    public void beforeStart(ClientCallStreamObserver<HostChannelUp> stream) {
      upstream = stream;
    }

    @Override
    public void onNext(HostChannelDown down) {
      try {
        handle(down);
      } catch (RuntimeException e) {
        LOG.warn("Could not handle a host channel message from worker {}", name, e);
      }
    }

    @Override
    public void onError(Throwable error) {
      var status = Status.fromThrowable(error);
      ended(status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription()));
    }

    @Override
    public void onCompleted() {
      ended("the worker ended it");
    }
  }
}
