package dev.snakepit.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.snakepit.HostTool;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.ParamSpec;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import dev.snakepit.ToolResult;
import dev.snakepit.internal.codec.ErrorDecoder;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.transport.grpc.AnyCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes every decoder of bytes that come from a worker: result and argument values (JSON in
 * {@code Any}, packed wrappers), result accessors, stream chunks, error documents, and host tool
 * argument validation. Each must either decode or refuse with its documented exception: never a
 * stack overflow, an out-of-memory, a NullPointerException or another surprise. Inputs are the
 * corpus in src/test/resources/fuzz, mutated, from a seeded random source (a failure prints the seed
 * and the input); the budget is a few seconds per decoder, see docs/reliability.md.
 */
class DecoderFuzzTest {
  private static final int RUNS = Integer.getInteger("snakepit.fuzz.runs", 3_000);
  private static final List<byte[]> JSON = Corpus.seeds("json");
  private static final List<byte[]> ERRORS = Corpus.seeds("error");
  private static final List<String> TYPE_URLS = List.of(
      AnyCodec.PARAMETER_TYPE_URL, "type.googleapis.com/google.protobuf.BoolValue",
      "type.googleapis.com/google.protobuf.Int64Value", "type.googleapis.com/google.protobuf.DoubleValue",
      "type.googleapis.com/google.protobuf.Value", "type.googleapis.com/snakepit.map",
      "type.googleapis.com/snakepit.binary", "", "garbage/\u0000");
  private static final List<String> CONTENT_TYPES = java.util.Arrays.asList(
      StreamChunk.JSON, StreamChunk.TEXT, StreamChunk.BYTES, "x/unknown", null);

  @Test
  void anyValueDecodesToValidJsonOrIsRefused() {
    Corpus.run("AnyCodec.jsonOf", RUNS, r -> {
      var url = TYPE_URLS.get(r.nextInt(TYPE_URLS.size())).getBytes(StandardCharsets.UTF_8);
      var value = Corpus.next(JSON, r);
      var input = new byte[url.length + 1 + value.length];
      System.arraycopy(url, 0, input, 0, url.length);
      System.arraycopy(value, 0, input, url.length + 1, value.length);
      return input;
    }, input -> {
      int zero = indexOfZero(input);
      var any = Any.newBuilder().setTypeUrl(new String(input, 0, zero, StandardCharsets.UTF_8))
          .setValue(ByteString.copyFrom(input, zero + 1, input.length - zero - 1)).build();
      byte[] json;
      try {
        json = AnyCodec.jsonOf(any);
      } catch (IllegalArgumentException refused) {
        assertThat(refused.getMessage()).isNotBlank();
        return;
      }
      assertThat(Json.readTree(json, "decoded value")).isNotNull();
    });
  }

  private static int indexOfZero(byte[] input) {
    for (int i = 0; i < input.length; i++) {
      if (input[i] == 0) {
        return i;
      }
    }
    return input.length - 1;
  }

  @Test
  void resultJsonReadsOrRefusesWithTheToolName() {
    Corpus.run("ToolResult accessors", RUNS, r -> Corpus.next(JSON, r), value -> {
      var result = new ToolResult("fuzzed_tool", value, null, "w1", null, Map.of());
      for (var accessor : List.<Runnable>of(result::asJson, result::asMap, result::asLong, result::asDouble,
          result::asText, result::asBoolean, result::isNull, () -> result.as(Object.class))) {
        try {
          accessor.run();
        } catch (IllegalStateException refused) {
          assertThat(refused.getMessage()).contains("fuzzed_tool");
        }
      }
    });
  }

  @Test
  void streamChunkReadsOrRefuses() {
    var random = new java.util.Random(Corpus.seed());
    Corpus.run("StreamChunk accessors", RUNS, r -> Corpus.next(JSON, r), value -> {
      var contentType = CONTENT_TYPES.get(random.nextInt(CONTENT_TYPES.size()));
      var chunk = new StreamChunk(7, value, false, contentType == null ? Map.of() : Map.of("content_type", contentType));
      chunk.text();
      for (var accessor : List.<Runnable>of(chunk::asJson, chunk::asMap, () -> chunk.as(Object.class))) {
        try {
          accessor.run();
        } catch (IllegalStateException refused) {
          assertThat(refused.getMessage()).contains("chunk 7");
        }
      }
    });
  }

  @Test
  void errorDocumentAlwaysBecomesATypedException() {
    Corpus.run("ErrorDecoder.decode", RUNS, r -> Corpus.next(ERRORS, r), document -> {
      SnakepitException error = ErrorDecoder.decode(new String(document, StandardCharsets.UTF_8), "fuzzed_tool", "w1");
      assertThat(error).isNotNull();
      assertThat(error.getMessage()).isNotNull();
      assertThat(error.toolName()).hasValue("fuzzed_tool");
    });
  }

  private static final HostTool CHECKED = HostTool.builder("checked")
      .params(ParamSpec.required("i", ParamSpec.INTEGER, "an int"), ParamSpec.optional("s", ParamSpec.STRING, "a string"),
          ParamSpec.optional("n", ParamSpec.NUMBER, "a number"), ParamSpec.optional("b", ParamSpec.BOOLEAN, "a flag"),
          ParamSpec.optional("a", ParamSpec.ARRAY, "a list"), ParamSpec.optional("o", ParamSpec.OBJECT, "a map"),
          ParamSpec.optional("x", ParamSpec.BYTES, "bytes"))
      .handler((args, context) -> null).build();
  private static final List<String> NAMES = List.of("i", "s", "n", "b", "a", "o", "x", "unknown", "");

  @Test
  void hostToolArgumentsValidateOrAreRefusedNamingTheTool() {
    var random = new java.util.Random(Corpus.seed());
    Corpus.run("HostTool.bind (validation)", RUNS, r -> Corpus.next(JSON, r), value -> {
      Map<String, Object> arguments = new java.util.HashMap<>();
      arguments.put("i", parsedOrRaw(Corpus.next(JSON, random)));
      arguments.put(NAMES.get(random.nextInt(NAMES.size())), parsedOrRaw(value));
      try {
        CHECKED.bind(arguments);
      } catch (InvalidArgumentsException refused) {
        assertThat(refused.getMessage()).contains("checked");
      }
    });
  }

  private static Object parsedOrRaw(byte[] json) {
    try {
      return Json.mapper().readValue(json, Object.class);
    } catch (java.io.IOException e) {
      return json;
    }
  }

  @AfterAll
  static void report() {
    Corpus.report();
  }
}
