package dev.snakepit.internal.transport.lane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.HostTool;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.tools.HostCalls;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.internal.transport.WorkerTransport;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lane catalogue's host side (the worker side is python/tests/test_lane*.py): a fake worker
 * that speaks the handshake and then sends garbage, truncated, oversized or out-of-place frames.
 * Each time the host closes that lane with a logged reason (GOAWAY naming it), fails the pending
 * call with a typed {@link TransportFailure}, and nothing hangs. The gRPC counterpart of these
 * cases is {@code WireCatalogueTest}.
 */
class LaneWireCatalogueTest {
  private static final int LIMIT = 1 << 20;
  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final String WELCOME = "{\"version\":1,\"worker_id\":\"w1\",\"pid\":1,\"features\":[],\"tools\":[]}";

  /** Host tools that are never reached: the frames that would call them are malformed. */
  private static final HostCalls NO_HOST_TOOLS = new HostCalls() {
    @Override
    public List<HostTool> exposedTo(String sessionId) {
      return List.of();
    }

    @Override
    public Pending start(String sessionId, String toolName, Map<String, String> metadata, ArgumentDecoder arguments,
        Duration callerRemaining) {
      throw new AssertionError("a malformed host call reached the host tools: " + toolName);
    }

    @Override
    public Outcome runHere(String sessionId, String toolName, Map<String, String> metadata, ArgumentDecoder arguments,
        Duration callerRemaining) {
      throw new AssertionError("a malformed host call reached the host tools: " + toolName);
    }
  };

  @TempDir
  Path runDirectory;
  private ServerSocketChannel listener;
  private SocketChannel worker;
  private LaneTransportFactory factory;
  private WorkerTransport transport;
  private int callId;
  /** The host connects and the fake worker reads on threads of their own (the common pool may have one). */
  private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

  @BeforeEach
  void listen() throws IOException {
    listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    listener.bind(UnixDomainSocketAddress.of(runDirectory.resolve("w1.sock")));
    factory = new LaneTransportFactory("catalogue", runDirectory, "token", LIMIT, java.time.Duration.ZERO, java.time.Duration.ZERO, NO_HOST_TOOLS, Runnable::run, null,
        id -> false);
  }

  @AfterEach
  void close() throws IOException {
    if (transport != null) {
      transport.close();
    }
    if (worker != null) {
      worker.close();
    }
    listener.close();
    factory.close();
    threads.shutdownNow();
  }

  /** Connects the host to the fake worker, which answers HELLO with {@code type}/{@code payload}. */
  private CompletableFuture<WorkerTransport> connect(byte type, String payload) throws Exception {
    var connecting = CompletableFuture.supplyAsync(() -> factory.connect(runDirectory.resolve("w1.sock"), "w1"), threads);
    worker = listener.accept();
    assertThat(readFrame()[0]).as("HELLO first").isEqualTo(LaneFrames.HELLO);
    write(frame(type, 0, 0, payload.getBytes(StandardCharsets.UTF_8)));
    return connecting;
  }

  /** A connected lane with one call in flight, its CALL frame read by the fake worker. */
  private CompletableFuture<?> callInFlight() throws Exception {
    transport = connect(LaneFrames.WELCOME, WELCOME).get(BOUND.toSeconds(), TimeUnit.SECONDS);
    var call = transport.execute(new ToolRequest("add", "", Map.of(), Map.of(), Map.of()), BOUND);
    var frame = readFrame();
    assertThat(frame[0]).isEqualTo(LaneFrames.CALL);
    callId = (int) frame[2];
    return call;
  }

  /** The call failed with a lost connection naming {@code reason}, and the worker got a GOAWAY naming it too. */
  private void closedWith(CompletableFuture<?> call, String reason) throws Exception {
    assertThatThrownBy(() -> call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(TransportFailure.class, failure -> {
          assertThat(failure.kind()).isEqualTo(TransportFailure.Kind.CONNECTION_LOST);
          assertThat(failure.getMessage()).contains(reason);
        });
    var goaway = readFrame();
    assertThat(goaway[0]).isEqualTo(LaneFrames.GOAWAY);
    assertThat(new String((byte[]) goaway[1], StandardCharsets.UTF_8)).contains(reason);
    assertThatThrownBy(this::readFrame).as("the host closed the lane").isInstanceOf(EOFException.class);
  }

  @Test
  void anUnknownFrameTypeClosesTheLane() throws Exception {
    var call = callInFlight();
    write(frame((byte) 200, 0, 1, new byte[0]));
    closedWith(call, "unknown frame type 200");
  }

  @Test
  void anOversizedFrameClosesTheLaneBeforeItsPayloadIsRead() throws Exception {
    var call = callInFlight();
    var header = ByteBuffer.allocate(LaneFrames.HEADER).putInt(LIMIT + 64 * 1024 + 9).put(LaneFrames.RESULT).put((byte) 0)
        .putShort((short) 0).putInt(callId).flip();
    write(header);
    closedWith(call, "frame length");
  }

  @Test
  void reservedHeaderBitsCloseTheLane() throws Exception {
    var call = callInFlight();
    var header = ByteBuffer.allocate(LaneFrames.HEADER).putInt(LaneFrames.MIN_LENGTH).put(LaneFrames.PONG).put((byte) 0)
        .putShort((short) 7).putInt(1).flip();
    write(header);
    closedWith(call, "reserved header bits");
  }

  @Test
  void telemetryTheHostDidNotAskForClosesTheLane() throws Exception {
    var call = callInFlight();
    write(frame(LaneFrames.TELEMETRY, 0, 0, "[]".getBytes(StandardCharsets.UTF_8)));
    closedWith(call, "TELEMETRY frame before the host enabled telemetry");
  }

  @Test
  void telemetryThatIsNotAnArrayOfEventsClosesTheLane() throws Exception {
    var call = callInFlight();
    transport.streamTelemetry(event -> {});
    assertThat(readFrame()[0]).isEqualTo(LaneFrames.TELEMETRY_CONTROL);
    write(frame(LaneFrames.TELEMETRY, 0, 0, "[{\"measurements\":{}}]".getBytes(StandardCharsets.UTF_8)));
    closedWith(call, "TELEMETRY payload is not a JSON array of events");
  }

  @Test
  void aHostCallWhoseHeaderOverrunsItsPayloadClosesTheLane() throws Exception {
    var call = callInFlight();
    var payload = ByteBuffer.allocate(12).putInt(0).putInt(0).putInt(1000).array();
    write(frame(LaneFrames.HOST_CALL, 0, 1, payload));
    closedWith(call, "overruns its payload");
  }

  @Test
  void aFrameCutShortByTheWorkerFailsTheCallAsALostConnection() throws Exception {
    var call = callInFlight();
    var header = ByteBuffer.allocate(LaneFrames.HEADER + 10).putInt(LaneFrames.MIN_LENGTH + 100).put(LaneFrames.RESULT)
        .put((byte) 0).putShort((short) 0).putInt(callId).put(new byte[10]).flip();
    write(header);
    worker.close();
    worker = null;
    assertThatThrownBy(() -> call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).cause()
        .isInstanceOfSatisfying(TransportFailure.class,
            failure -> assertThat(failure.kind()).isEqualTo(TransportFailure.Kind.CONNECTION_LOST));
  }

  @Test
  void anUnreadableResultFailsItsCallTyped() throws Exception {
    var call = callInFlight();
    write(frame(LaneFrames.RESULT, 0, callId, new byte[] {0, 1}));
    assertThatThrownBy(() -> call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).cause()
        .isInstanceOfSatisfying(TransportFailure.class, failure -> assertThat(failure.getMessage()).contains("RESULT payload"));
  }

  @Test
  void aWelcomeOfAnotherVersionFailsTheStartNamingBothVersions() throws Exception {
    var connecting = connect(LaneFrames.WELCOME, WELCOME.replace("\"version\":1", "\"version\":2"));
    startFails(connecting, "this host speaks 1, the worker speaks 2");
  }

  @Test
  void aWelcomeThatIsNotJsonFailsTheStart() throws Exception {
    startFails(connect(LaneFrames.WELCOME, "not json"), "WELCOME");
  }

  @Test
  void garbageInsteadOfWelcomeFailsTheStart() throws Exception {
    startFails(connect((byte) 99, ""), "malformed");
  }

  @Test
  void aRefusalFailsTheStartWithTheWorkersReason() throws Exception {
    startFails(connect(LaneFrames.GOAWAY, "invalid pool token in HELLO"), "invalid pool token in HELLO");
  }

  private static void startFails(CompletableFuture<WorkerTransport> connecting, String reason) {
    assertThatThrownBy(() -> connecting.get(BOUND.toSeconds(), TimeUnit.SECONDS)).cause()
        .isInstanceOf(StartupFailedException.class).hasMessageContaining(reason);
  }

  private static ByteBuffer frame(byte type, int flags, int callId, byte[] payload) {
    var buffer = ByteBuffer.allocate(LaneFrames.HEADER + payload.length);
    LaneFrames.putHeader(buffer, payload.length, type, flags, callId);
    return buffer.put(payload).flip();
  }

  private void write(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      worker.write(buffer);
    }
  }

  /** The next frame from the host, {type, payload, call id}, within the bound (else the test fails, not hangs). */
  private Object[] readFrame() throws Exception {
    var reading = CompletableFuture.supplyAsync(() -> {
      try {
        var header = readFully(LaneFrames.HEADER);
        int length = header.getInt(0);
        return new Object[] {header.get(4), readFully(length - LaneFrames.MIN_LENGTH).array(), header.getInt(8)};
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, threads);
    try {
      return reading.get(BOUND.toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      worker.close(); // unblocks the read
      throw new AssertionError("no frame from the host within " + BOUND, e);
    } catch (ExecutionException e) {
      throw e.getCause().getCause() instanceof EOFException eof ? eof : e;
    }
  }

  private ByteBuffer readFully(int size) throws IOException {
    var buffer = ByteBuffer.allocate(size);
    while (buffer.hasRemaining()) {
      if (worker.read(buffer) < 0) {
        throw new EOFException("the host closed the lane");
      }
    }
    return buffer.flip();
  }
}
