package dev.snakepit.bench;

import io.grpc.CallOptions;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bare gRPC floor: a minimal grpc-java client (raw byte[] messages, no protobuf, no pool, no
 * interceptors) calling minimal grpc.aio servicers ({@code grpc_floor.py}), same grpc versions as
 * Snakepit. The client uses the same channel settings as Snakepit's transport (event loop on two
 * threads, direct executor, 8 MiB flow-control window) so the difference is Snakepit's own cost.
 * Several servers are called round-robin, one channel each.
 */
final class GrpcFloor implements AutoCloseable {
  static final MethodDescriptor<byte[], byte[]> ECHO = unary("Echo");
  static final MethodDescriptor<byte[], byte[]> UP = unary("Up");
  static final MethodDescriptor<byte[], byte[]> DOWN = unary("Down");
  static final MethodDescriptor<byte[], byte[]> STREAM = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
      .setFullMethodName("bench.Floor/Stream")
      .setRequestMarshaller(BytesMarshaller.INSTANCE)
      .setResponseMarshaller(BytesMarshaller.INSTANCE)
      .build();

  /** How the floor's client reaches its servers. */
  enum Link {
    /** TCP loopback, NIO event loop. */
    TCP("gRPC floor (TCP)"),
    /** Unix-domain socket, JDK NIO channel (the same event loop as TCP). */
    UDS("gRPC floor (UDS)"),
    /** Unix-domain socket, Netty's native epoll transport. */
    UDS_EPOLL("gRPC floor (UDS, epoll)");

    final String label;

    Link(String label) {
      this.label = label;
    }
  }

  private final BenchContext context;
  private final Link link;
  private final List<HelperProcess> servers;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final EventLoopGroup eventLoops;
  private final AtomicInteger next = new AtomicInteger();

  private GrpcFloor(BenchContext context, Link link, List<HelperProcess> servers) {
    this.context = context;
    this.link = link;
    this.servers = servers;
    ThreadFactory threads = Thread.ofPlatform().daemon().name("snakepit-bench-floor-io-", 1).factory();
    this.eventLoops = new MultiThreadIoEventLoopGroup(Math.min(2, Runtime.getRuntime().availableProcessors()), threads,
        link == Link.UDS_EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    for (var server : servers) {
      var address = server.address();
      var builder = switch (link) {
        case TCP -> NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(address)).channelType(NioSocketChannel.class);
        case UDS -> NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(address.substring("unix:".length())))
            .channelType(NioDomainSocketChannel.class);
        case UDS_EPOLL -> NettyChannelBuilder.forAddress(new DomainSocketAddress(address.substring("unix:".length())))
            .channelType(EpollDomainSocketChannel.class);
      };
      channels.add(builder.eventLoopGroup(eventLoops)
          .usePlaintext()
          .directExecutor()
          .maxInboundMessageSize(512 * 1024 * 1024)
          .flowControlWindow(8 * 1024 * 1024)
          .disableRetry()
          .build());
    }
  }

  /** Starts {@code count} floor servers (over a Unix socket or TCP loopback) and connects to each. */
  static GrpcFloor start(BenchContext context, int count, Link link) {
    var spawned = new ArrayList<HelperProcess>();
    for (int i = 0; i < count; i++) {
      var listen = link == Link.TCP ? "tcp" : "unix:" + context.newPath("g", ".sock");
      spawned.add(context.spawnHelper("grpc-floor", "grpc_floor.py", List.of(listen)));
    }
    try {
      for (var helper : spawned) {
        helper.awaitReady(java.time.Duration.ofSeconds(30));
      }
    } catch (RuntimeException e) {
      spawned.forEach(context::stop);
      throw e;
    }
    var floor = new GrpcFloor(context, link, spawned);
    floor.echo(new byte[32]); // connect every channel now, not in the first measured call
    for (int i = 1; i < count; i++) {
      floor.echo(new byte[32]);
    }
    return floor;
  }

  String name() {
    return link.label;
  }

  private ManagedChannel channel() {
    return channels.get(Math.floorMod(next.getAndIncrement(), channels.size()));
  }

  byte[] echo(byte[] payload) {
    return ClientCalls.blockingUnaryCall(channel(), ECHO, CallOptions.DEFAULT, payload);
  }

  /** Starts an echo; {@code done} runs on a transport thread when it completes. */
  void echoAsync(byte[] payload, Runnable done, java.util.function.Consumer<Throwable> failed) {
    ClientCalls.asyncUnaryCall(channel().newCall(ECHO, CallOptions.DEFAULT), payload, new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {}

      @Override
      public void onError(Throwable t) {
        failed.accept(t);
      }

      @Override
      public void onCompleted() {
        done.run();
      }
    });
  }

  long up(byte[] payload) {
    return ByteBuffer.wrap(ClientCalls.blockingUnaryCall(channel(), UP, CallOptions.DEFAULT, payload))
        .order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  byte[] down(int size) {
    var request = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(size).array();
    return ClientCalls.blockingUnaryCall(channel(), DOWN, CallOptions.DEFAULT, request);
  }

  /** Streams {@code count} messages of {@code size} bytes; returns how many arrived. */
  long stream(int count, int size) {
    var request = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(count).putLong(size).array();
    var chunks = ClientCalls.blockingServerStreamingCall(channel(), STREAM, CallOptions.DEFAULT, request);
    long n = 0;
    while (chunks.hasNext()) {
      chunks.next();
      n++;
    }
    return n;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    for (var channel : channels) {
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    servers.forEach(context::stop);
  }

  @Override
  public String toString() {
    return name();
  }

  private static MethodDescriptor<byte[], byte[]> unary(String method) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("bench.Floor/" + method)
        .setRequestMarshaller(BytesMarshaller.INSTANCE)
        .setResponseMarshaller(BytesMarshaller.INSTANCE)
        .build();
  }

  /** byte[] as the message: written straight from the array, read with one copy. */
  static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    static final BytesMarshaller INSTANCE = new BytesMarshaller();

    @Override
    public InputStream stream(byte[] value) {
      return new BytesStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        if (stream instanceof KnownLength) {
          return stream.readNBytes(stream.available());
        }
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Lets grpc-java drain the array into its buffers in one write and know the length up front. */
  private static final class BytesStream extends ByteArrayInputStream implements Drainable, KnownLength {
    BytesStream(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
