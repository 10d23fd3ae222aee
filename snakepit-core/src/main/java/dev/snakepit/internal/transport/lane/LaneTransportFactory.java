package dev.snakepit.internal.transport.lane;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.StartupFailedException;
import dev.snakepit.ToolInfo;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.tools.HostCalls;
import dev.snakepit.internal.transport.ReadyFile;
import dev.snakepit.internal.transport.TransportFactory;
import dev.snakepit.internal.transport.TransportFailure;
import dev.snakepit.internal.transport.WorkerEndpoint;
import dev.snakepit.internal.transport.WorkerTransport;
import dev.snakepit.internal.transport.grpc.SharedMemory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Makes lane transports: each worker listens on a Unix socket in the pool's private run directory
 * (named in the worker's environment, announced in its ready file as {@code unix:<path>}); the host
 * connects, sends HELLO with the pool token and its protocol version, and reads WELCOME.
 */
public final class LaneTransportFactory implements TransportFactory {
  /** Worker environment: the socket the worker binds. */
  public static final String SOCKET_ENV = "SNAKEPIT_LANE_SOCKET";
  /** The module our worker runs as when it serves the lane. */
  public static final String WORKER_MODULE = "snakepit_bridge.lane";
  /** Longest socket path Linux accepts (sun_path is 108 bytes with the terminating zero). */
  private static final int MAX_SOCKET_PATH = 107;
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

  private final String poolName;
  private final Path runDirectory;
  private final String token;
  private final int maxMessageSize;
  private final long spinNanos;
  private final long workerSpinNanos;
  private final LaneHostCalls hostCalls;
  private final BiConsumer<String, List<ToolInfo>> onTools;
  private final SharedMemory sharedMemory = SharedMemory.create();
  private final AtomicInteger sockets = new AtomicInteger();
  private final Map<String, Path> socketOf = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Creates the factory.
   *
   * @param spinWait how long a blocked caller polls for its answer before it blocks (0: never)
   * @param workerSpinWait how long an idle worker polls for its next call before it blocks (0: never)
   * @param hostCalls serves host tools to Python, or null
   * @param hostCallThreads where host calls from Python run (user code: it may block)
   * @param onTools receives each worker's tools as it reports them in WELCOME
   * @param endSession ends a session Python cleans up (its session host tools go with it); whether it existed
   */
  public LaneTransportFactory(String poolName, Path runDirectory, String token, int maxMessageSize, Duration spinWait,
      Duration workerSpinWait, HostCalls hostCalls, Executor hostCallThreads, BiConsumer<String, List<ToolInfo>> onTools, java.util.function.Predicate<String> endSession) {
    this.poolName = poolName;
    this.runDirectory = runDirectory;
    this.token = token;
    this.maxMessageSize = maxMessageSize;
    this.spinNanos = spinWait.toNanos();
    this.workerSpinNanos = workerSpinWait.toNanos();
    this.hostCalls = hostCalls == null ? null : new LaneHostCalls(hostCalls, hostCallThreads, endSession);
    this.onTools = onTools;
  }

  @Override
  public String name() {
    return "lane";
  }

  @Override
  public WorkerEndpoint choose(ReadyFile announced) {
    for (var endpoint : announced.endpoints()) {
      if (endpoint instanceof WorkerEndpoint.UnixSocket) {
        return endpoint;
      }
    }
    throw new TransportFailure(TransportFailure.Kind.PROTOCOL_ERROR, "NO_LANE_SOCKET",
        "the ready file announced no lane socket (unix:<path>): " + announced.endpoints()
            + ". Is the worker our snakepit_bridge worker started with --transport lane?", null);
  }

  @Override
  public List<String> workerArguments(String workerId) {
    return List.of("--transport", "lane");
  }

  @Override
  public boolean needsHostCallbackServer() {
    // Host tools, pings and tool registration travel on the lane.
    return false;
  }

  @Override
  public boolean connectProvesReady() {
    // HELLO is answered by the connection's own reader, which serves the calls from then on: a
    // Ping right after it would only add a round trip to every worker start.
    return true;
  }

  /** The socket path a worker is told to bind. */
  public Path socketFor(String workerId) {
    return socketOf.computeIfAbsent(workerId, id -> {
      var path = runDirectory.resolve(id + ".sock");
      if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
        path = runDirectory.resolve("l" + sockets.incrementAndGet());
      }
      return path;
    });
  }

  @Override
  public long sharedMemoryFallbacks() {
    return sharedMemory == null ? 0 : sharedMemory.fallbacks();
  }

  @Override
  public Map<String, String> workerEnvironment(String workerId) {
    var env = new HashMap<String, String>();
    env.put(SOCKET_ENV, socketFor(workerId).toString());
    if (sharedMemory != null) {
      env.put("SNAKEPIT_SHM_DIR", sharedMemory.directory().toString());
    }
    return env;
  }

  @Override
  public WorkerTransport connect(WorkerEndpoint endpoint, String workerId) {
    if (!(endpoint instanceof WorkerEndpoint.UnixSocket unix)) {
      throw new TransportFailure(TransportFailure.Kind.PROTOCOL_ERROR, "UNSUPPORTED_ENDPOINT",
          "the lane connects to Unix sockets only, not " + endpoint, null);
    }
    return connect(unix.path(), workerId);
  }

  /** Connects to the worker's socket and runs the handshake. */
  public WorkerTransport connect(Path socket, String workerId) {
    SocketChannel channel = null;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
      var welcome = handshake(channel, workerId);
      if (welcome.path("version").asInt(-1) != LaneFrames.PROTOCOL_VERSION) {
        throw new StartupFailedException(workerId, "lane protocol version mismatch: this host speaks "
            + LaneFrames.PROTOCOL_VERSION + ", the worker speaks " + welcome.path("version"), null, null, null);
      }
      boolean shm = false;
      for (var feature : welcome.path("features")) {
        shm |= "shm".equals(feature.asText());
      }
      if (onTools != null) {
        onTools.accept(workerId, tools(welcome.path("tools")));
      }
      var transport = new LaneWorkerTransport(channel, workerId, maxMessageSize, sharedMemory, shm, hostCalls, poolName,
          spinNanos);
      channel = null;
      return transport;
    } catch (IOException e) {
      throw new StartupFailedException(workerId, "cannot open the lane at " + socket + ": " + e.getMessage(), null, null, e);
    } finally {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException e) {
          // nothing more to do
        }
      }
    }
  }

  private JsonNode handshake(SocketChannel channel, String workerId) throws IOException {
    var hello = Json.mapper().createObjectNode();
    hello.putArray("versions").add(LaneFrames.PROTOCOL_VERSION);
    hello.put("token", token).put("worker_id", workerId).put("max_frame", maxMessageSize);
    hello.put("spin_us", workerSpinNanos / 1000);
    var payload = hello.toString().getBytes(StandardCharsets.UTF_8);
    var frame = ByteBuffer.allocate(LaneFrames.HEADER + payload.length);
    LaneFrames.putHeader(frame, payload.length, LaneFrames.HELLO, 0, 0);
    frame.put(payload).flip();
    while (frame.hasRemaining()) {
      channel.write(frame);
    }
    channel.configureBlocking(false);
    var reader = new FrameReader(64 * 1024, 16 * 1024 * 1024);
    var answer = new Object[2];
    long deadline = System.nanoTime() + HANDSHAKE_TIMEOUT.toNanos();
    try (var selector = Selector.open()) {
      channel.register(selector, SelectionKey.OP_READ);
      while (answer[0] == null) {
        if (!reader.next((type, flags, id, data) -> {
          var bytes = new byte[data.remaining()];
          data.get(bytes);
          answer[0] = type;
          answer[1] = bytes;
        })) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new StartupFailedException(workerId, "the worker did not answer the lane HELLO within "
                + HANDSHAKE_TIMEOUT.toSeconds() + " s", null, null, null);
          }
          int n = reader.read(channel);
          if (n < 0) {
            throw new StartupFailedException(workerId, "the worker closed the lane during the handshake", null, null, null);
          }
          if (n == 0) {
            selector.select(Math.max(1, left / 1_000_000));
            selector.selectedKeys().clear();
          }
        }
      }
    } catch (LaneFrames.LaneProtocolException e) {
      throw new StartupFailedException(workerId, "the worker's lane handshake is malformed: " + e.getMessage(), null, null, e);
    }
    var text = new String((byte[]) answer[1], StandardCharsets.UTF_8);
    if ((byte) answer[0] == LaneFrames.GOAWAY) {
      throw new StartupFailedException(workerId, "the worker refused the lane: " + text, null, null, null);
    }
    if ((byte) answer[0] != LaneFrames.WELCOME) {
      throw new StartupFailedException(workerId, "the worker answered HELLO with " + LaneFrames.name((byte) answer[0]), null, null, null);
    }
    try {
      return Json.readTree((byte[]) answer[1], "WELCOME");
    } catch (IllegalStateException e) {
      // Not our worker (or a broken one): a failed start the pool reports and retries, not a crash of the pool.
      throw new StartupFailedException(workerId, "the worker's lane WELCOME is not JSON: " + e.getMessage(), null, null, e);
    }
  }

  private static List<ToolInfo> tools(JsonNode list) {
    var tools = new ArrayList<ToolInfo>();
    for (var t : list) {
      var parameters = new ArrayList<ToolInfo.ParameterInfo>();
      for (var p : t.path("parameters")) {
        parameters.add(new ToolInfo.ParameterInfo(p.path("name").asText(), p.path("type").asText(),
            p.path("required").asBoolean(), p.path("default").isNull() ? null : p.path("default").asText(null),
            p.path("description").asText("")));
      }
      tools.add(new ToolInfo(t.path("name").asText(), t.path("description").asText(""), parameters,
          t.path("streaming").asBoolean()));
    }
    return tools;
  }

  @Override
  public void close() {
    if (sharedMemory != null) {
      sharedMemory.close();
    }
  }
}
