package dev.snakepit.internal.transport.grpc;

import dev.snakepit.RemoteWorkers;
import dev.snakepit.RemoteWorkers.HostPort;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.proto.BridgeServiceGrpc;
import dev.snakepit.internal.proto.PingRequest;
import dev.snakepit.internal.proto.PingResponse;
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.internal.transport.WorkerTransport;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * gRPC channels to remote (standalone) workers: TLS with server verification and optional client
 * certificates, the configured token on every call, HTTP/2 keepalive so a dead link is noticed
 * between health checks, no shared memory (the worker is on another machine). Also the health
 * check: a {@code Ping} on a separate channel per endpoint, reading the worker's incarnation and
 * capacity from its trailers. One event loop group for all, stopped by {@link #close()}.
 */
public final class RemoteChannels implements AutoCloseable {
  static {
    NettyProperties.apply();
  }

  /** Ping trailer: the worker's incarnation id (standalone worker). */
  static final Metadata.Key<String> INCARNATION =
      Metadata.Key.of("x-snakepit-incarnation", Metadata.ASCII_STRING_MARSHALLER);
  /** Header on every call: the host's id, naming its host channel to the worker (host tools). */
  static final Metadata.Key<String> HOST_ID = Metadata.Key.of("x-snakepit-host", Metadata.ASCII_STRING_MARSHALLER);
  /** Ping trailer: how many calls the worker runs at once. */
  static final Metadata.Key<String> CAPACITY =
      Metadata.Key.of("x-snakepit-max-concurrency", Metadata.ASCII_STRING_MARSHALLER);

  private final RemoteWorkers config;
  private final ChannelCredentials credentials;
  private final ClientInterceptor headers;
  private final String hostId;
  private final int maxMessageSize;
  private final EventLoopGroup eventLoops;
  private final Map<HostPort, ManagedChannel> probeChannels = new ConcurrentHashMap<>();

  /**
   * Prepares the credentials (reads the certificate files) and starts the event loop threads.
   *
   * @param hostId this pool's id, sent on every call so a worker routes the call's host tools to
   *     this pool's host channel
   * @throws IllegalArgumentException when a certificate or key file cannot be used
   */
  public RemoteChannels(String poolName, RemoteWorkers config, int maxMessageSize, String hostId) {
    this.config = config;
    this.maxMessageSize = maxMessageSize;
    this.hostId = hostId;
    this.credentials = credentials(config);
    this.headers = headerInterceptor(config.token().orElse(null), hostId);
    this.eventLoops = new MultiThreadIoEventLoopGroup(1, new NamedThreadFactory(poolName, "grpc-remote"),
        NioIoHandler.newFactory());
  }

  /** A transport to the worker at {@code endpoint}, on a channel of its own. */
  public WorkerTransport connect(HostPort endpoint, String workerId) {
    return new GrpcWorkerTransport(channel(endpoint), workerId, maxMessageSize, null);
  }

  /**
   * What a health check learned: the worker's incarnation id and how many calls it runs at once.
   *
   * @param incarnation the incarnation id ({@code unknown} for a worker that does not say)
   * @param capacity its {@code --max-concurrency}
   */
  public record Answer(String incarnation, int capacity) {}

  /**
   * Checks the worker at {@code endpoint} answers {@code Ping} within {@code timeout}; fails with a
   * {@link TransportFailure} ({@link TransportFailure.Kind#UNAUTHENTICATED} for a rejected token).
   */
  public CompletableFuture<Answer> probe(HostPort endpoint, Duration timeout) {
    var future = new CompletableFuture<Answer>();
    var channel = probeChannels.computeIfAbsent(endpoint, this::channel);
    var call = channel.newCall(BridgeServiceGrpc.getPingMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS));
    call.start(new ClientCall.Listener<>() {
      private PingResponse response;

      @Override
      public void onMessage(PingResponse message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (status.getCode() == Status.Code.UNAUTHENTICATED) {
          future.completeExceptionally(new TransportFailure(TransportFailure.Kind.UNAUTHENTICATED, "UNAUTHENTICATED",
              "the worker at " + endpoint + " rejected the pool's token (" + status.getDescription()
                  + "): pass the token the worker was started with (--token-file)", status.getCause()));
        } else if (!status.isOk() || response == null) {
          var failure = status.isOk() ? Status.INTERNAL.withDescription("Ping returned no message").asRuntimeException()
              : status.asRuntimeException(trailers);
          var mapped = StatusMapping.map(failure);
          future.completeExceptionally(mapped instanceof TransportFailure tf
              ? new TransportFailure(tf.kind(), tf.code(), endpoint + ": " + tf.detail(), failure) : mapped);
        } else {
          var incarnation = trailers.get(INCARNATION);
          future.complete(new Answer(incarnation == null ? "unknown" : incarnation, capacity(trailers.get(CAPACITY))));
        }
      }
    }, new Metadata());
    call.sendMessage(PingRequest.newBuilder().setMessage("snakepit-java health check").build());
    call.halfClose();
    call.request(2);
    return future;
  }

  /**
   * Opens the host channel to the worker at {@code endpoint} (on its health-check connection), so
   * the worker can call host tools; see {@link HostChannel}.
   */
  public HostChannel openHostChannel(HostPort endpoint, dev.snakepit.internal.tools.HostCalls hostCalls,
      java.util.concurrent.Executor handlers, HostChannel.Events events) {
    return HostChannel.open(probeChannels.computeIfAbsent(endpoint, this::channel), endpoint.toString(), hostId,
        hostCalls, handlers, events);
  }

  /** Closes the health-check channel of an endpoint that left. */
  public void forget(HostPort endpoint) {
    var channel = probeChannels.remove(endpoint);
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  /** Closes the health-check channels and stops the event loop (transports must be closed first). */
  @Override
  public void close() {
    probeChannels.values().forEach(ManagedChannel::shutdownNow);
    for (var channel : probeChannels.values()) {
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    probeChannels.clear();
    eventLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private ManagedChannel channel(HostPort endpoint) {
    var builder = NettyChannelBuilder.forAddress(endpoint.host(), endpoint.port(), credentials)
        .eventLoopGroup(eventLoops)
        .channelType(NioSocketChannel.class)
        .directExecutor()
        .maxInboundMessageSize(maxMessageSize)
        .flowControlWindow(8 * 1024 * 1024)
        // A cut link also shows as a failed keepalive (10 s is gRPC's minimum; the health checks,
        // which close a lost worker's transport, are usually faster).
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(Math.max(1_000, config.healthCheckTimeout().toMillis()), TimeUnit.MILLISECONDS)
        .keepAliveWithoutCalls(true)
        .disableRetry();
    builder.intercept(headers);
    return builder.build();
  }

  private static int capacity(String text) {
    try {
      return text == null ? 1 : Math.max(1, Integer.parseInt(text.strip()));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  private static ChannelCredentials credentials(RemoteWorkers config) {
    if (!config.usesTls()) {
      return InsecureChannelCredentials.create();
    }
    try {
      var tls = TlsChannelCredentials.newBuilder();
      if (config.trustedCertificates().isPresent()) {
        tls.trustManager(config.trustedCertificates().get().toFile());
      }
      if (config.clientCertificate().isPresent() && config.clientKey().isPresent()) {
        tls.keyManager(config.clientCertificate().get().toFile(), config.clientKey().get().toFile());
      }
      return tls.build();
    } catch (IOException e) {
      throw new IllegalArgumentException("remote workers: cannot use the TLS files (" + e.getMessage()
          + "); certificates must be PEM, the client key PEM PKCS#8", e);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new IllegalArgumentException("remote workers: cannot use the TLS files: " + e.getMessage(), e);
    }
  }

  private static ClientInterceptor headerInterceptor(String tokenValue, String hostId) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
          io.grpc.Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            if (tokenValue != null) {
              headers.put(AuthToken.KEY, tokenValue);
            }
            headers.put(HOST_ID, hostId);
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
