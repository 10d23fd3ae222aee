package dev.snakepit.internal.transport.lane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.snakepit.HostTool;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.tools.HostCalls;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/** Serves HOST_CALL and HOST_TOOLS frames with the pool's host tools. */
final class LaneHostCalls {
  /** The answer to a host call: a JSON result, bytes, or an error document. */
  record Outcome(boolean success, byte[] json, ByteBuffer binary, String errorJson) {
    static Outcome failure(String errorJson) {
      return new Outcome(false, null, null, errorJson);
    }
  }

  private final HostCalls invoker;
  private final Executor executor;
  private final Predicate<String> endSession;

  /**
   * Host calls run by {@code invoker}; each frame is handled on {@code executor}; {@code endSession}
   * ends a session when Python cleans it up (whether it existed), as the gRPC CleanupSession does.
   */
  LaneHostCalls(HostCalls invoker, Executor executor, Predicate<String> endSession) {
    this.invoker = invoker;
    this.executor = executor;
    this.endSession = endSession;
  }

  /** Python's {@code SessionContext.cleanup()}: the session and its session host tools go away. */
  Outcome cleanup(String sessionId) {
    boolean existed = endSession.test(sessionId);
    var answer = "{\"success\":true,\"resources_cleaned\":" + (existed ? 1 : 0) + "}";
    return new Outcome(true, answer.getBytes(StandardCharsets.UTF_8), null, null);
  }

  void execute(Runnable task) {
    executor.execute(task);
  }

  /** The host tools Python may call in {@code sessionId}, as a JSON list. */
  Outcome exposed(String sessionId) {
    ArrayNode list = Json.mapper().createArrayNode();
    for (HostTool tool : invoker.exposedTo(sessionId)) {
      var spec = list.addObject().put("name", tool.name()).put("description", tool.description());
      var metadata = spec.putObject("metadata");
      tool.metadata().forEach(metadata::put);
      var parameters = spec.putArray("parameters");
      for (var p : tool.parameters()) {
        var parameter = parameters.addObject().put("name", p.name()).put("type", p.type()).put("required", p.required())
            .put("description", p.description());
        if (p.hasDefault()) {
          // JSON text, as the gRPC ToolSpec carries it (JSON in an Any).
          parameter.put("default", Json.mapper().valueToTree(p.defaultValue()).toString());
        }
      }
    }
    return new Outcome(true, list.toString().getBytes(StandardCharsets.UTF_8), null, null);
  }

  /**
   * Runs one host call on this thread: {@code header} is the call's JSON header, {@code blobs} its
   * bytes arguments in order.
   */
  Outcome call(byte[] header, byte[] blobs, Duration remaining) {
    JsonNode node = Json.readTree(header, "HOST_CALL header");
    var tool = node.path("t").asText("");
    var session = node.path("s").asText("");
    var metadata = new HashMap<String, String>();
    node.path("m").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
    var arguments = new LinkedHashMap<String, Object>();
    node.path("a").fields().forEachRemaining(e -> arguments.put(e.getKey(), Json.mapper().convertValue(e.getValue(), Object.class)));
    int offset = 0;
    for (var entry : node.path("b")) {
      var name = entry.path(0).asText();
      int length = entry.path(1).asInt(-1);
      if (length < 0 || offset + length > blobs.length) {
        throw new LaneFrames.LaneProtocolException("HOST_CALL bytes argument '" + name + "' overruns its payload");
      }
      var bytes = new byte[length];
      System.arraycopy(blobs, offset, bytes, 0, length);
      arguments.put(name, bytes);
      offset += length;
    }
    // This thread only exists to answer this call (or is the tool caller's, blocked until it is answered).
    var outcome = invoker.runHere(session, tool, Map.copyOf(metadata), () -> arguments, remaining);
    return new Outcome(outcome.success(), outcome.json(), outcome.binary(), outcome.errorJson());
  }
}
