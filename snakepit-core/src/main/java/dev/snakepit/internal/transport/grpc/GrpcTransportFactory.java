package dev.snakepit.internal.transport.grpc;

import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.transport.ReadyFile;
import dev.snakepit.internal.transport.TransportFactory;
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.internal.transport.WorkerEndpoint;
import dev.snakepit.internal.transport.WorkerTransport;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Makes gRPC transports to workers. All channels of a pool share one small event loop group whose
 * threads are named after the pool and stopped by {@link #close()}, so nothing lingers after the pool.
 * Where the machine has {@code /dev/shm}, large bytes arguments and results of the pool's workers
 * are handed off through it ({@link SharedMemory}).
 */
public final class GrpcTransportFactory implements TransportFactory {
  static {
    NettyProperties.apply();
  }

  /** Worker environment: the directory for shared-memory hand-off (our worker only). */
  public static final String SHM_DIR_ENV = "SNAKEPIT_SHM_DIR";

  private final EventLoopGroup eventLoops;
  private final AuthToken token;
  private final int maxMessageSize;
  private final SharedMemory sharedMemory = SharedMemory.create();

  /** Creates the factory and its event loop threads. */
  public GrpcTransportFactory(String poolName, AuthToken token, int maxMessageSize, int eventLoopThreads) {
    this.token = token;
    this.maxMessageSize = maxMessageSize;
    this.eventLoops = new MultiThreadIoEventLoopGroup(
        eventLoopThreads, new NamedThreadFactory(poolName, "grpc-client"), NioIoHandler.newFactory());
  }

  @Override
  public String name() {
    return "grpc";
  }

  @Override
  public WorkerEndpoint choose(ReadyFile announced) {
    for (var endpoint : announced.endpoints()) {
      if (endpoint instanceof WorkerEndpoint.Tcp) {
        return endpoint;
      }
    }
    throw new TransportFailure(TransportFailure.Kind.PROTOCOL_ERROR, "NO_TCP_PORT",
        "the ready file announced no TCP port (gRPC needs one): " + announced.endpoints(), null);
  }

  @Override
  public WorkerTransport connect(WorkerEndpoint endpoint, String workerId) {
    if (!(endpoint instanceof WorkerEndpoint.Tcp tcp)) {
      throw new TransportFailure(TransportFailure.Kind.PROTOCOL_ERROR, "UNSUPPORTED_ENDPOINT",
          "the gRPC transport connects to TCP ports only, not " + endpoint, null);
    }
    var channel = NettyChannelBuilder.forAddress(tcp.host(), tcp.port())
        .usePlaintext()
        .eventLoopGroup(eventLoops)
        .channelType(NioSocketChannel.class)
        // Callbacks only complete futures and hand chunks to queues: no need for another thread hop.
        .directExecutor()
        .maxInboundMessageSize(maxMessageSize)
        .flowControlWindow(8 * 1024 * 1024)
        .intercept(token.clientInterceptor())
        .disableRetry()
        .build();
    return new GrpcWorkerTransport(channel, workerId, maxMessageSize, sharedMemory);
  }

  @Override
  public long sharedMemoryFallbacks() {
    return sharedMemory == null ? 0 : sharedMemory.fallbacks();
  }

  @Override
  public Map<String, String> workerEnvironment(String workerId) {
    return sharedMemory == null ? Map.of() : Map.of(SHM_DIR_ENV, sharedMemory.directory().toString());
  }

  @Override
  public void close() {
    eventLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (sharedMemory != null) {
      sharedMemory.close();
    }
  }
}
