package dev.snakepit.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.ParamSpec;
import dev.snakepit.HostTool;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolResult;
import dev.snakepit.internal.codec.ErrorDecoder;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.transport.grpc.AnyCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Fuzzes every decoder of bytes that come from a worker: result and argument values (JSON in
 * {@code Any}, packed wrappers), result accessors, stream chunks, error documents, and host tool
 * argument validation. Each must either decode or refuse with its documented exception: never a
 * stack overflow, an out-of-memory, a NullPointerException or another surprise.
 * The budget (tries) is kept to a few seconds per property; see docs/reliability.md.
 */
class DecoderFuzzTest {
  private static final int TRIES = 2_000;

  @Provide
  Arbitrary<byte[]> json() {
    return Corpus.inputs("json");
  }

  @Provide
  Arbitrary<byte[]> errors() {
    return Corpus.inputs("error");
  }

  @Provide
  Arbitrary<String> typeUrls() {
    return Arbitraries.of(
        AnyCodec.PARAMETER_TYPE_URL, "type.googleapis.com/google.protobuf.BoolValue",
        "type.googleapis.com/google.protobuf.Int64Value", "type.googleapis.com/google.protobuf.DoubleValue",
        "type.googleapis.com/google.protobuf.Value", "type.googleapis.com/snakepit.map",
        "type.googleapis.com/snakepit.binary", "", "garbage/\u0000");
  }

  @Property(tries = TRIES)
  void anyValueDecodesToValidJsonOrIsRefused(@ForAll("typeUrls") String typeUrl, @ForAll("json") byte[] value) {
    Corpus.executed("AnyCodec.jsonOf");
    var any = Any.newBuilder().setTypeUrl(typeUrl).setValue(ByteString.copyFrom(value)).build();
    byte[] json;
    try {
      json = AnyCodec.jsonOf(any);
    } catch (IllegalArgumentException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      return;
    }
    assertThat(Json.readTree(json, "decoded value")).isNotNull();
  }

  @Property(tries = TRIES)
  void resultJsonReadsOrRefusesWithTheToolName(@ForAll("json") byte[] value) {
    Corpus.executed("ToolResult accessors");
    var result = new ToolResult("fuzzed_tool", value, null, "w1", null, Map.of());
    for (var accessor : java.util.List.<Runnable>of(result::asJson, result::asMap, result::asLong, result::asDouble,
        result::asText, result::asBoolean, result::isNull, () -> result.as(Object.class))) {
      try {
        accessor.run();
      } catch (IllegalStateException refused) {
        assertThat(refused.getMessage()).contains("fuzzed_tool");
      }
    }
  }

  @Property(tries = TRIES)
  void streamChunkReadsOrRefuses(@ForAll("json") byte[] value,
      @ForAll("contentTypes") String contentType) {
    Corpus.executed("StreamChunk accessors");
    var chunk = new StreamChunk(7, value, false, contentType == null ? Map.of() : Map.of("content_type", contentType));
    chunk.text();
    for (var accessor : java.util.List.<Runnable>of(chunk::asJson, chunk::asMap, () -> chunk.as(Object.class))) {
      try {
        accessor.run();
      } catch (IllegalStateException refused) {
        assertThat(refused.getMessage()).contains("chunk 7");
      }
    }
  }

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.of(StreamChunk.JSON, StreamChunk.TEXT, StreamChunk.BYTES, "x/unknown").injectNull(0.2);
  }

  @Property(tries = TRIES)
  void errorDocumentAlwaysBecomesATypedException(@ForAll("errors") byte[] document) {
    Corpus.executed("ErrorDecoder.decode");
    var text = new String(document, StandardCharsets.UTF_8);
    SnakepitException error = ErrorDecoder.decode(text, "fuzzed_tool", "w1");
    assertThat(error).isNotNull();
    assertThat(error.getMessage()).isNotNull();
    assertThat(error.toolName()).hasValue("fuzzed_tool");
  }

  private static final HostTool CHECKED = HostTool.builder("checked")
      .params(ParamSpec.required("i", ParamSpec.INTEGER, "an int"), ParamSpec.optional("s", ParamSpec.STRING, "a string"),
          ParamSpec.optional("n", ParamSpec.NUMBER, "a number"), ParamSpec.optional("b", ParamSpec.BOOLEAN, "a flag"),
          ParamSpec.optional("a", ParamSpec.ARRAY, "a list"), ParamSpec.optional("o", ParamSpec.OBJECT, "a map"),
          ParamSpec.optional("x", ParamSpec.BYTES, "bytes"))
      .handler((args, context) -> null).build();

  @Property(tries = TRIES)
  void hostToolArgumentsValidateOrAreRefusedNamingTheParameter(@ForAll("json") byte[] value,
      @ForAll("parameterNames") String name, @ForAll("json") byte[] other) {
    Corpus.executed("HostTool.bind (validation)");
    Map<String, Object> arguments = new java.util.HashMap<>();
    arguments.put("i", parsedOrRaw(other));
    arguments.put(name, parsedOrRaw(value));
    try {
      CHECKED.bind(arguments);
    } catch (InvalidArgumentsException refused) {
      assertThat(refused.getMessage()).contains("checked");
    }
  }

  @Provide
  Arbitrary<String> parameterNames() {
    return Arbitraries.of("i", "s", "n", "b", "a", "o", "x", "unknown", "");
  }

  private static Object parsedOrRaw(byte[] json) {
    try {
      return Json.mapper().readValue(json, Object.class);
    } catch (java.io.IOException e) {
      return json;
    }
  }

  @AfterContainer
  static void report() {
    Corpus.report();
  }
}
