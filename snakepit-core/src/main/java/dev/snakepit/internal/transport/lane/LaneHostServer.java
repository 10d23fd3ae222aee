package dev.snakepit.internal.transport.lane;

import dev.snakepit.internal.codec.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one lane's HOST_CALL and HOST_TOOLS frames (Python calling Java host tools): the frame is
 * parsed on the reading thread and its HOST_RESULT goes back on the same lane. A host call read by a
 * caller blocked on its own tool call runs on that caller's thread once it has left the read role
 * ({@link LaneReadRole#deferToDriver}): that caller only waits for the tool, which waits for this
 * answer, so no thread hand-off is needed. Any other host call runs on the pool's host-call executor,
 * so a slow host tool never stalls the lane's reader.
 */
final class LaneHostServer {
  private static final Logger LOG = LoggerFactory.getLogger(LaneHostServer.class);
  private static final byte[] NO_HOST_TOOLS =
      "{\"type\":\"HostError\",\"message\":\"this pool serves no host tools\"}".getBytes(StandardCharsets.UTF_8);

  private final LaneSocket socket;
  private final LaneWriter writer;
  private final LaneHostCalls hostCalls;
  private final String workerId;
  private LaneReadRole readRole;

  /** {@code hostCalls} may be null: the pool serves no host tools and every host call fails. */
  LaneHostServer(LaneSocket socket, LaneWriter writer, LaneHostCalls hostCalls, String workerId) {
    this.socket = socket;
    this.writer = writer;
    this.hostCalls = hostCalls;
    this.workerId = workerId;
  }

  /** The lane's read role, asked whether the reading thread may run a host call itself (set before reading starts). */
  void readBy(LaneReadRole role) {
    this.readRole = role;
  }

  void frame(byte type, int callId, ByteBuffer payload) {
    if (hostCalls == null) {
      writer.writeFrame(LaneFrames.HOST_RESULT, LaneFrames.F_FAILED, callId, ByteBuffer.wrap(NO_HOST_TOOLS));
      return;
    }
    if (type == LaneFrames.HOST_TOOLS) {
      var request = Json.readTree(LaneDecoding.bytes(payload), "HOST_TOOLS request");
      var session = request.path("s").asText("");
      boolean cleanup = request.path("cleanup").asBoolean(false);
      run(() -> answer(callId, cleanup ? hostCalls.cleanup(session) : hostCalls.exposed(session)));
      return;
    }
    if (payload.remaining() < 12) {
      throw new LaneFrames.LaneProtocolException("HOST_CALL payload of " + payload.remaining() + " bytes");
    }
    int at = payload.position();
    long timeoutMs = Integer.toUnsignedLong(payload.getInt(at));
    int headerLength = payload.getInt(at + 8);
    if (headerLength < 0 || headerLength > payload.remaining() - 12) {
      throw new LaneFrames.LaneProtocolException("HOST_CALL header of " + headerLength + " bytes overruns its payload");
    }
    var header = new byte[headerLength];
    payload.get(at + 12, header);
    var blobs = new byte[payload.remaining() - 12 - headerLength];
    payload.get(at + 12 + headerLength, blobs);
    Runnable task = () -> {
      LaneHostCalls.Outcome outcome;
      try {
        outcome = hostCalls.call(header, blobs, timeoutMs == 0 ? null : Duration.ofMillis(timeoutMs));
      } catch (RuntimeException e) {
        outcome = LaneHostCalls.Outcome.failure(
            "{\"type\":\"HostError\",\"message\":" + LaneDecoding.quote(String.valueOf(e.getMessage())) + "}");
      }
      answer(callId, outcome);
    };
    run(task);
  }

  private void run(Runnable task) {
    if (readRole == null || !readRole.deferToDriver(task)) {
      hostCalls.execute(task);
    }
  }

  private void answer(int callId, LaneHostCalls.Outcome outcome) {
    if (socket.closed()) {
      return;
    }
    try {
      if (!outcome.success()) {
        writer.writeFrame(LaneFrames.HOST_RESULT, LaneFrames.F_FAILED, callId,
            ByteBuffer.wrap(outcome.errorJson().getBytes(StandardCharsets.UTF_8)));
      } else if (outcome.binary() != null) {
        writer.writeFrame(LaneFrames.HOST_RESULT, LaneFrames.F_BINARY, callId, outcome.binary().duplicate());
      } else {
        writer.writeFrame(LaneFrames.HOST_RESULT, 0, callId, ByteBuffer.wrap(outcome.json()));
      }
    } catch (RuntimeException e) {
      LOG.debug("Host result {} to {} not sent: {}", callId, workerId, e.toString());
    }
  }
}
