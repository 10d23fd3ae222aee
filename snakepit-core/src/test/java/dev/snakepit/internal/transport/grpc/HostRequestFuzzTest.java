package dev.snakepit.internal.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.fuzz.Corpus;
import dev.snakepit.internal.proto.ExecuteElixirToolRequest;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Fuzzes the host's decoding of a worker's host tool call: protobuf bytes, then argument values. */
class HostRequestFuzzTest {
  // Seeds: valid requests with JSON, packed and binary arguments, mutated at the byte level.
  private static final List<byte[]> SEEDS = List.of(
      request("{\"a\":[1,2,{\"b\":null}]}", "type.googleapis.com/google.protobuf.StringValue"),
      request("\n\u0005hello", "type.googleapis.com/google.protobuf.StringValue"),
      request("\b\u0001", "type.googleapis.com/google.protobuf.BoolValue"),
      ExecuteElixirToolRequest.newBuilder().setToolName("t").putBinaryParameters("x",
          com.google.protobuf.ByteString.copyFrom(new byte[] {0, 1, 2})).build().toByteArray());

  private static byte[] request(String value, String typeUrl) {
    return ExecuteElixirToolRequest.newBuilder().setSessionId("s").setToolName("tool")
        .putParameters("p", com.google.protobuf.Any.newBuilder().setTypeUrl(typeUrl)
            .setValue(com.google.protobuf.ByteString.copyFromUtf8(value)).build())
        .putMetadata("correlation_id", "c").build().toByteArray();
  }

  @Test
  void hostToolRequestDecodesOrIsRefusedTyped() {
    Corpus.run("HostBridgeServer.decodeArguments", Integer.getInteger("snakepit.fuzz.runs", 3_000) * 2,
        r -> Corpus.next(SEEDS, r), bytes -> {
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
        });
  }

  @AfterAll
  static void report() {
    Corpus.report();
  }
}
