package dev.snakepit.internal.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.fuzz.Corpus;
import dev.snakepit.internal.proto.ExecuteElixirToolRequest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/** Fuzzes the host's decoding of a worker's host tool call: protobuf bytes, then argument values. */
class HostRequestFuzzTest {
  @Provide
  Arbitrary<byte[]> requests() {
    // Seeds: valid requests with JSON, packed and binary arguments, mutated at the byte level.
    var seeds = java.util.List.of(
        request("{\"a\":[1,2,{\"b\":null}]}", "type.googleapis.com/google.protobuf.StringValue"),
        request("\n\u0005hello", "type.googleapis.com/google.protobuf.StringValue"),
        request("\b\u0001", "type.googleapis.com/google.protobuf.BoolValue"),
        ExecuteElixirToolRequest.newBuilder().setToolName("t").putBinaryParameters("x",
            com.google.protobuf.ByteString.copyFrom(new byte[] {0, 1, 2})).build().toByteArray());
    return Arbitraries.of(seeds).flatMap(seed -> Arbitraries.randomValue(r -> mutate(seed, r)));
  }

  private static byte[] request(String value, String typeUrl) {
    return ExecuteElixirToolRequest.newBuilder().setSessionId("s").setToolName("tool")
        .putParameters("p", com.google.protobuf.Any.newBuilder().setTypeUrl(typeUrl)
            .setValue(com.google.protobuf.ByteString.copyFromUtf8(value)).build())
        .putMetadata("correlation_id", "c").build().toByteArray();
  }

  private static byte[] mutate(byte[] seed, java.util.Random r) {
    var data = seed.clone();
    for (int i = 0, n = 1 + r.nextInt(3); i < n && data.length > 0; i++) {
      data[r.nextInt(data.length)] = (byte) r.nextInt(256);
    }
    return r.nextInt(4) == 0 ? java.util.Arrays.copyOf(data, r.nextInt(data.length + 1)) : data;
  }

  @Property(tries = 4_000)
  void hostToolRequestDecodesOrIsRefusedTyped(@ForAll("requests") byte[] bytes) {
    Corpus.executed("HostBridgeServer.decodeArguments");
    ExecuteElixirToolRequest request;
    try {
      request = ExecuteElixirToolRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return; // gRPC answers INTERNAL before our code sees it
    }
    try {
      assertThat(HostBridgeServer.decodeArguments(request)).isNotNull();
    } catch (InvalidArgumentsException refused) {
      assertThat(refused.getMessage()).contains("Argument");
    }
  }

  @AfterContainer
  static void report() {
    Corpus.report();
  }
}
