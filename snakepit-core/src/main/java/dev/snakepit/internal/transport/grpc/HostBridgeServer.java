package dev.snakepit.internal.transport.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UnsafeByteOperations;
import dev.snakepit.HostTool;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.ParamSpec;
import dev.snakepit.ToolInfo;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.proto.BridgeServiceGrpc;
import dev.snakepit.internal.proto.CleanupSessionRequest;
import dev.snakepit.internal.proto.CleanupSessionResponse;
import dev.snakepit.internal.proto.ExecuteElixirToolRequest;
import dev.snakepit.internal.proto.ExecuteElixirToolResponse;
import dev.snakepit.internal.proto.GetExposedElixirToolsRequest;
import dev.snakepit.internal.proto.GetExposedElixirToolsResponse;
import dev.snakepit.internal.proto.GetSessionRequest;
import dev.snakepit.internal.proto.GetSessionResponse;
import dev.snakepit.internal.proto.HeartbeatRequest;
import dev.snakepit.internal.proto.HeartbeatResponse;
import dev.snakepit.internal.proto.InitializeSessionRequest;
import dev.snakepit.internal.proto.InitializeSessionResponse;
import dev.snakepit.internal.proto.ParameterSpec;
import dev.snakepit.internal.proto.PingRequest;
import dev.snakepit.internal.proto.PingResponse;
import dev.snakepit.internal.proto.RegisterToolsRequest;
import dev.snakepit.internal.proto.RegisterToolsResponse;
import dev.snakepit.internal.proto.ToolRegistration;
import dev.snakepit.internal.proto.ToolSpec;
import dev.snakepit.internal.host.SessionStore;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.tools.HostCalls;
import io.grpc.Context;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's own BridgeService (the callback server workers call): liveness, sessions, heartbeat,
 * tool registration and host tools. Listens on loopback only, and must be up before any worker starts.
 */
public final class HostBridgeServer implements AutoCloseable {
  static {
    NettyProperties.apply();
  }

  private static final Logger LOG = LoggerFactory.getLogger(HostBridgeServer.class);

  private final Server server;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final ExecutorService handlers;
  private final SessionStore sessions;
  private final ToolCatalog catalog;
  private final HostCalls hostTools;

  /**
   * Starts the server on an ephemeral loopback port, answering session and registration calls from
   * {@code sessions} and {@code catalog} and running host tools through {@code hostTools}.
   */
  public HostBridgeServer(String poolName, AuthToken token, boolean requireToken, int maxMessageSize,
      SessionStore sessions, ToolCatalog catalog, HostCalls hostTools) {
    this.sessions = sessions;
    this.catalog = catalog;
    this.hostTools = hostTools;
    this.bossGroup = new MultiThreadIoEventLoopGroup(1, new NamedThreadFactory(poolName, "host-accept"), NioIoHandler.newFactory());
    this.workerGroup = new MultiThreadIoEventLoopGroup(1, new NamedThreadFactory(poolName, "host-io"), NioIoHandler.newFactory());
    // ExecuteElixirTool waits for a host tool handler (user code): give each request its own virtual thread.
    this.handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(NamedThreadFactory.PREFIX + poolName + "-host-rpc-", 1).factory());
    try {
      this.server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
          .bossEventLoopGroup(bossGroup)
          .workerEventLoopGroup(workerGroup)
          .channelType(NioServerSocketChannel.class)
          .executor(handlers)
          .maxInboundMessageSize(maxMessageSize)
          .addService(new Service())
          .intercept(token.serverInterceptor(requireToken))
          .build()
          .start();
    } catch (IOException e) {
      shutdownThreads();
      throw new UncheckedIOException("Cannot start the host callback server on loopback", e);
    }
  }

  /** The {@code host:port} workers reach this server at. */
  public String address() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    shutdownThreads();
  }

  private void shutdownThreads() {
    handlers.shutdownNow();
    bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    try {
      handlers.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static Timestamp now() {
    var now = Instant.now();
    return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
  }

  static ToolInfo toToolInfo(ToolRegistration registration) {
    var parameters = new ArrayList<ToolInfo.ParameterInfo>();
    for (ParameterSpec p : registration.getParametersList()) {
      String defaultJson = null;
      if (p.hasDefaultValue()) {
        try {
          defaultJson = new String(AnyCodec.jsonOf(p.getDefaultValue()),
              java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          defaultJson = null;
        }
      }
      parameters.add(new ToolInfo.ParameterInfo(p.getName(), p.getType(), p.getRequired(), defaultJson, p.getDescription()));
    }
    boolean streaming = registration.getSupportsStreaming()
        || "true".equals(registration.getMetadataMap().get("supports_streaming"));
    return new ToolInfo(registration.getName(), registration.getDescription(), parameters, streaming);
  }

  /** A host tool as Python sees it in GetExposedElixirTools: defaults as JSON in Any, like tool parameters. */
  static ToolSpec toToolSpec(HostTool tool) {
    var spec = ToolSpec.newBuilder()
        .setName(tool.name())
        .setDescription(tool.description())
        .putAllMetadata(tool.metadata())
        .setSupportsStreaming(false);
    for (var p : tool.parameters()) {
      var parameter = ParameterSpec.newBuilder()
          .setName(p.name())
          .setType(p.type())
          .setDescription(p.description())
          .setRequired(p.required())
          .setValidationJson("{}");
      if (p.hasDefault()) {
        try {
          parameter.setDefaultValue(AnyCodec.parameter(Json.write(p.defaultValue())));
        } catch (JsonProcessingException e) {
          throw new IllegalStateException("default of " + tool.name() + "." + p.name() + " is not JSON-encodable", e);
        }
      }
      spec.addParameters(parameter);
    }
    return spec.build();
  }

  /** The arguments of an ExecuteElixirTool call: JSON values (tolerant of packed wrappers) and raw bytes. */
  static Map<String, Object> decodeArguments(ExecuteElixirToolRequest request) {
    var arguments = new LinkedHashMap<String, Object>();
    for (var entry : request.getParametersMap().entrySet()) {
      var name = entry.getKey();
      try {
        var json = AnyCodec.jsonOf(entry.getValue());
        arguments.put(name, Json.mapper().readValue(json, Object.class));
      } catch (IllegalArgumentException | IOException e) {
        var head = entry.getValue().getValue().substring(0, Math.min(40, entry.getValue().getValue().size()));
        throw new InvalidArgumentsException("Argument '" + name + "' of host tool '" + request.getToolName()
            + "' is not valid JSON (type_url " + entry.getValue().getTypeUrl() + "). Send each argument as UTF-8 JSON text.",
            request.getToolName(), name, "JSON text", head.toString(StandardCharsets.UTF_8), "malformed_json", null);
      }
    }
    for (var entry : request.getBinaryParametersMap().entrySet()) {
      if (arguments.containsKey(entry.getKey())) {
        throw new InvalidArgumentsException("Argument '" + entry.getKey() + "' of host tool '" + request.getToolName()
            + "' was sent both as JSON and as bytes.", request.getToolName(), entry.getKey(), ParamSpec.BYTES,
            "both", "value", null);
      }
      arguments.put(entry.getKey(), entry.getValue().toByteArray());
    }
    return arguments;
  }

  /** The GetExposedElixirTools answer for {@code sessionId} (also sent over host channels). */
  static GetExposedElixirToolsResponse exposedTools(HostCalls hostTools, String sessionId) {
    var response = GetExposedElixirToolsResponse.newBuilder();
    for (var tool : hostTools.exposedTo(sessionId)) {
      response.addTools(toToolSpec(tool));
    }
    return response.build();
  }

  /** A host tool call's outcome as the ExecuteElixirTool answer (also sent over host channels). */
  static ExecuteElixirToolResponse toResponse(HostCalls.Outcome outcome) {
    var response = ExecuteElixirToolResponse.newBuilder()
        .setSuccess(outcome.success())
        .setExecutionTimeMs(outcome.executionTimeMs())
        .putMetadata("execution_time", Long.toString(outcome.executionTimeMs()));
    if (!outcome.success()) {
      response.setErrorMessage(outcome.errorJson());
    } else if (outcome.binary() != null) {
      response.setResult(AnyCodec.binaryResult(outcome.binary().remaining()))
          .setBinaryResult(UnsafeByteOperations.unsafeWrap(outcome.binary()));
    } else {
      response.setResult(AnyCodec.result(outcome.json()));
    }
    return response.build();
  }

  private final class Service extends BridgeServiceGrpc.BridgeServiceImplBase {
    @Override
    public void ping(PingRequest request, StreamObserver<PingResponse> out) {
      out.onNext(PingResponse.newBuilder().setMessage("pong: " + request.getMessage()).setServerTime(now()).build());
      out.onCompleted();
    }

    @Override
    public void initializeSession(InitializeSessionRequest request, StreamObserver<InitializeSessionResponse> out) {
      if (request.getSessionId().isEmpty()) {
        out.onNext(InitializeSessionResponse.newBuilder().setSuccess(false).setErrorMessage("session_id is required").build());
      } else {
        try {
          sessions.createOrTouch(request.getSessionId(), request.getMetadataMap());
          out.onNext(InitializeSessionResponse.newBuilder().setSuccess(true).build());
        } catch (SessionStore.LimitReachedException e) {
          out.onNext(InitializeSessionResponse.newBuilder().setSuccess(false).setErrorMessage(e.getMessage()).build());
        }
      }
      out.onCompleted();
    }

    @Override
    public void cleanupSession(CleanupSessionRequest request, StreamObserver<CleanupSessionResponse> out) {
      boolean existed = sessions.remove(request.getSessionId());
      out.onNext(CleanupSessionResponse.newBuilder().setSuccess(true).setResourcesCleaned(existed ? 1 : 0).build());
      out.onCompleted();
    }

    @Override
    public void getSession(GetSessionRequest request, StreamObserver<GetSessionResponse> out) {
      var session = sessions.get(request.getSessionId());
      if (session.isEmpty()) {
        out.onError(Status.NOT_FOUND.withDescription("no session '" + request.getSessionId() + "'").asRuntimeException());
        return;
      }
      var s = session.get();
      out.onNext(GetSessionResponse.newBuilder()
          .setSessionId(s.id())
          .putAllMetadata(s.metadata())
          .setCreatedAt(Timestamp.newBuilder().setSeconds(s.createdAt().getEpochSecond()).setNanos(s.createdAt().getNano()))
          .setToolCount(catalog.tools().size())
          .build());
      out.onCompleted();
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
      boolean valid = request.getSessionId().isEmpty() || sessions.get(request.getSessionId()).isPresent();
      out.onNext(HeartbeatResponse.newBuilder().setServerTime(now()).setSessionValid(valid).build());
      out.onCompleted();
    }

    @Override
    public void registerTools(RegisterToolsRequest request, StreamObserver<RegisterToolsResponse> out) {
      var tools = new ArrayList<ToolInfo>();
      var response = RegisterToolsResponse.newBuilder().setSuccess(true);
      for (var registration : request.getToolsList()) {
        if (registration.getName().isBlank()) {
          out.onNext(RegisterToolsResponse.newBuilder().setSuccess(false).setErrorMessage("a tool has no name").build());
          out.onCompleted();
          return;
        }
        tools.add(toToolInfo(registration));
        response.putToolIds(registration.getName(), request.getSessionId() + ":" + registration.getName());
      }
      var workerId = request.getWorkerId().isEmpty() ? "session:" + request.getSessionId() : request.getWorkerId();
      catalog.register(workerId, tools);
      LOG.debug("Worker {} registered {} tools", workerId, tools.size());
      out.onNext(response.build());
      out.onCompleted();
    }

    @Override
    public void getExposedElixirTools(GetExposedElixirToolsRequest request, StreamObserver<GetExposedElixirToolsResponse> out) {
      out.onNext(exposedTools(hostTools, request.getSessionId()));
      out.onCompleted();
    }

    @Override
    public void executeElixirTool(ExecuteElixirToolRequest request, StreamObserver<ExecuteElixirToolResponse> out) {
      var grpcContext = Context.current();
      var deadline = grpcContext.getDeadline();
      var call = hostTools.start(request.getSessionId(), request.getToolName(), request.getMetadataMap(),
          () -> decodeArguments(request),
          deadline == null ? null : Duration.ofNanos(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS))));
      // The Python caller gave up (deadline, cancel, connection lost): interrupt the handler.
      Context.CancellationListener onCancel = cancelled -> call.cancel();
      grpcContext.addListener(onCancel, Runnable::run);
      HostCalls.Outcome outcome;
      try {
        outcome = call.await();
      } finally {
        grpcContext.removeListener(onCancel);
      }
      var response = toResponse(outcome);
      if (grpcContext.isCancelled()) {
        return;
      }
      out.onNext(response);
      out.onCompleted();
    }
  }
}
