package dev.snakepit.catalogue;

import static dev.snakepit.catalogue.Catalogue.BOUND;
import static dev.snakepit.catalogue.Catalogue.servesNextCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.Snakepit;
import dev.snakepit.Transport;
import dev.snakepit.testsupport.LeakCheck;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hostile peers on the wire: garbage, truncated and oversized messages, missing and wrong tokens,
 * clients that connect and stall; sent both to a worker's port and to the host's callback server.
 * The server under attack refuses typed (a gRPC status) or drops the connection, and the pool keeps
 * serving with no worker lost.
 */
@ExtendWith(LeakCheck.class)
class WireCatalogueTest {
  private static final int LIMIT = 1 << 20;
  private static Snakepit pit;
  private static int workerPort;
  private static int hostPort;
  private static String token;

  /** Which server a case attacks. */
  enum Target { WORKER, HOST }

  @BeforeAll
  static void startPool() {
    // These cases attack the gRPC worker port and the host's gRPC callback server, so the pool uses gRPC.
    pit = Snakepit.start(Catalogue.hostilePool().transport(Transport.GRPC).maxMessageSize(LIMIT).build());
    long pid = pit.workerPids().getFirst();
    var env = Procfs.environment(pid);
    token = env.get("SNAKEPIT_AUTH_TOKEN");
    hostPort = Integer.parseInt(env.get("SNAKEPIT_GRPC_ADDRESS").replaceAll(".*:", ""));
    workerPort = Procfs.listeners(pid).getFirst().port();
  }

  @AfterAll
  static void closePool() {
    pit.close();
  }

  @AfterEach
  void poolServesTheNextCallWithNoWorkerLost() {
    servesNextCall(pit);
    assertThat(pit.stats().crashes()).as("workers lost").isZero();
  }

  private static int port(Target target) {
    return target == Target.WORKER ? workerPort : hostPort;
  }

  private static String ping(Target target) {
    return target == Target.WORKER ? "snakepit.bridge.BridgeService/Ping" : "snakepit.bridge.BridgeService/InitializeSession";
  }

  // ---------------------------------------------------------------- raw bytes

  /** Sends bytes on a fresh connection and returns whether the server closed it within the bound. */
  private static boolean closedAfter(int port, byte[] bytes) throws IOException {
    try (var socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout((int) BOUND.toMillis());
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      var in = socket.getInputStream();
      var buffer = new byte[4096];
      try {
        while (in.read(buffer) >= 0) {
          // Drain what the server says (a GOAWAY, an HTTP error) until it closes.
        }
        return true;
      } catch (java.net.SocketException e) {
        return true; // reset by peer: closed too
      } catch (SocketTimeoutException e) {
        return false;
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void rawGarbageIsDroppedAndTheServerGoesOn(Target target) throws IOException {
    var garbage = new byte[64 * 1024];
    new Random(16).nextBytes(garbage);
    assertThat(closedAfter(port(target), garbage)).as("connection closed").isTrue();
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void plainHttpRequestIsDropped(Target target) throws IOException {
    var request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(closedAfter(port(target), request)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void preambleFollowedByAnOversizedFrameIsDropped(Target target) throws IOException {
    var preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    // A SETTINGS frame header claiming 16 MiB of payload (over any frame size limit), then nothing.
    var frame = new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x4, 0, 0, 0, 0, 0};
    var bytes = new byte[preface.length + frame.length];
    System.arraycopy(preface, 0, bytes, 0, preface.length);
    System.arraycopy(frame, 0, bytes, preface.length, frame.length);
    assertThat(closedAfter(port(target), bytes)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void truncatedPrefaceThenHangUpLeavesTheServerServing(Target target) throws IOException {
    try (var socket = new Socket(InetAddress.getLoopbackAddress(), port(target))) {
      socket.getOutputStream().write("PRI * HTTP/2".getBytes(StandardCharsets.US_ASCII));
    }
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void stalledClientsDoNotBlockService(Target target) throws IOException {
    var stalled = new ArrayList<Socket>();
    try {
      for (int i = 0; i < 32; i++) {
        var socket = new Socket(InetAddress.getLoopbackAddress(), port(target));
        if (i % 2 == 0) {
          socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        stalled.add(socket);
      }
      // While 32 connections sit idle (half mid-handshake), calls (which use both servers) go on.
      for (int i = 0; i < 5; i++) {
        servesNextCall(pit);
      }
      assertThat(call(target, token, ping(target), new byte[0]).getCode()).isEqualTo(Status.Code.OK);
    } finally {
      for (var socket : stalled) {
        socket.close();
      }
    }
  }

  // ---------------------------------------------------------------- gRPC with bad content

  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

  /** What a raw call got back. */
  record Answer(Status status, byte[] body) {}

  /** Sends {@code body} as the request of {@code method}, with the given token (null: none); returns the status. */
  private static Status call(Target target, String withToken, String method, byte[] body) {
    return exchange(target, withToken, method, body).status();
  }

  private static Answer exchange(Target target, String withToken, String method, byte[] body) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port(target)).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    try {
      var headers = new Metadata();
      if (withToken != null) {
        headers.put(Metadata.Key.of("x-snakepit-token", Metadata.ASCII_STRING_MARSHALLER), withToken);
      }
      var descriptor = MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(method).setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
      var intercepted = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
      try {
        var response = ClientCalls.blockingUnaryCall(intercepted, descriptor,
            CallOptions.DEFAULT.withDeadlineAfter(BOUND.toMillis(), TimeUnit.MILLISECONDS), body);
        return new Answer(Status.OK, response);
      } catch (StatusRuntimeException e) {
        return new Answer(e.getStatus(), new byte[0]);
      }
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void missingTokenIsUnauthenticated(Target target) {
    var status = call(target, null, ping(target), new byte[0]);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).contains("x-snakepit-token").doesNotContain(token);
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void wrongTokenIsUnauthenticatedAndTheRealOneIsNotDisclosed(Target target) {
    var wrong = token.substring(0, token.length() - 1) + (token.endsWith("0") ? "1" : "0");
    var status = call(target, wrong, ping(target), new byte[0]);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(String.valueOf(status.getDescription())).doesNotContain(token).doesNotContain(wrong);
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void tokenWithAnotherLengthIsUnauthenticated(Target target) {
    assertThat(call(target, token + token, ping(target), new byte[0]).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(call(target, "", ping(target), new byte[0]).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void garbageProtobufIsRefusedTyped(Target target) {
    var garbage = new byte[512];
    new Random(7).nextBytes(garbage);
    garbage[0] = (byte) 0xff; // an invalid field tag, so it can never parse
    var status = call(target, token, ping(target), garbage);
    assertThat(status.getCode()).isIn(Status.Code.INTERNAL, Status.Code.INVALID_ARGUMENT, Status.Code.UNKNOWN);
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void truncatedProtobufIsRefusedTyped(Target target) {
    // Field 1 (a string) announcing 100 bytes, followed by 3.
    var truncated = new byte[] {0x0a, 100, 'a', 'b', 'c'};
    var status = call(target, token, ping(target), truncated);
    assertThat(status.getCode()).isIn(Status.Code.INTERNAL, Status.Code.INVALID_ARGUMENT, Status.Code.UNKNOWN);
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void messageOverTheSizeLimitIsResourceExhausted(Target target) {
    var oversized = new byte[LIMIT * 2 + 8];
    oversized[0] = 0x0a; // field 1, length-delimited, then a varint length and the bytes
    var length = LIMIT * 2;
    oversized[1] = (byte) ((length & 0x7f) | 0x80);
    oversized[2] = (byte) (((length >> 7) & 0x7f) | 0x80);
    oversized[3] = (byte) ((length >> 14) & 0x7f);
    var status = call(target, token, ping(target), java.util.Arrays.copyOf(oversized, length + 4));
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void unknownMethodIsUnimplemented() {
    assertThat(call(Target.WORKER, token, "snakepit.bridge.BridgeService/NoSuchMethod", new byte[0]).getCode())
        .isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(call(Target.HOST, token, "snakepit.bridge.BridgeService/NoSuchMethod", new byte[0]).getCode())
        .isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  @Test
  void malformedJsonArgumentOnTheWireIsAnErrorNamingTheArgument() throws Exception {
    var request = dev.snakepit.internal.proto.ExecuteToolRequest.newBuilder().setToolName("add")
        .putParameters("a", com.google.protobuf.Any.newBuilder().setTypeUrl("type.googleapis.com/x.Unknown")
            .setValue(com.google.protobuf.ByteString.copyFromUtf8("{not json")).build())
        .build();
    var answer = exchange(Target.WORKER, token, "snakepit.bridge.BridgeService/ExecuteTool", request.toByteArray());
    if (answer.status().isOk()) {
      var response = dev.snakepit.internal.proto.ExecuteToolResponse.parseFrom(answer.body());
      assertThat(response.getSuccess()).isFalse();
      assertThat(response.getErrorMessage()).contains("InvalidArgumentsError").contains("'a'").contains("JSON");
    } else {
      assertThat(answer.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(answer.status().getDescription()).contains("'a'");
    }
  }

  @Test
  void hostToolCallWithMalformedArgumentsIsRefusedTyped() throws Exception {
    var request = dev.snakepit.internal.proto.ExecuteElixirToolRequest.newBuilder().setToolName("no_such_host_tool")
        .putParameters("x", com.google.protobuf.Any.newBuilder().setValue(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xff, 0})).build())
        .build();
    var answer = exchange(Target.HOST, token, "snakepit.bridge.BridgeService/ExecuteElixirTool", request.toByteArray());
    if (answer.status().isOk()) {
      var response = dev.snakepit.internal.proto.ExecuteElixirToolResponse.parseFrom(answer.body());
      assertThat(response.getSuccess()).isFalse();
      assertThat(response.getErrorMessage()).contains("no_such_host_tool");
    } else {
      assertThat(answer.status().getCode()).isIn(Status.Code.NOT_FOUND, Status.Code.INVALID_ARGUMENT);
      assertThat(answer.status().getDescription()).contains("no_such_host_tool");
    }
  }

  @Test
  void serversListenOnLoopbackOnly() {
    var worker = Procfs.listeners(pit.workerPids().getFirst());
    assertThat(worker).isNotEmpty().allMatch(Procfs.Listener::loopback, "bound to loopback");
    var host = Procfs.listeners(ProcessHandle.current().pid()).stream().filter(l -> l.port() == hostPort).toList();
    assertThat(host).isNotEmpty().allMatch(Procfs.Listener::loopback, "bound to loopback");
  }

}
