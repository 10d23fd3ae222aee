package dev.snakepit.internal.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AnyCodecTest {

  private static String json(Any value) {
    return new String(AnyCodec.jsonOf(value), StandardCharsets.UTF_8);
  }

  @Test
  void parametersCarryJsonTextUnderTheStringValueTypeUrl() {
    var value = AnyCodec.parameter("{\"a\":1}".getBytes(StandardCharsets.UTF_8));

    assertThat(value.getTypeUrl()).isEqualTo("type.googleapis.com/google.protobuf.StringValue");
    assertThat(value.getValue().toStringUtf8()).isEqualTo("{\"a\":1}");
  }

  @Test
  void resultsNameTheirKind() {
    assertThat(AnyCodec.result("{}".getBytes()).getTypeUrl()).isEqualTo("type.googleapis.com/snakepit.map");
    assertThat(AnyCodec.result("[1]".getBytes()).getTypeUrl()).endsWith("snakepit.list");
    assertThat(AnyCodec.result("\"s\"".getBytes()).getTypeUrl()).endsWith("snakepit.string");
    assertThat(AnyCodec.result("4".getBytes()).getTypeUrl()).endsWith("snakepit.float");
    assertThat(AnyCodec.result("true".getBytes()).getTypeUrl()).endsWith("snakepit.boolean");
    assertThat(AnyCodec.result("null".getBytes()).getTypeUrl()).endsWith("snakepit.null");
    assertThat(AnyCodec.isBinary(AnyCodec.binaryResult(3))).isTrue();
  }

  @Test
  void jsonIsDecodedWhateverTheTypeUrl() {
    var value = Any.newBuilder().setTypeUrl("type.googleapis.com/anything.Else").setValue(ByteString.copyFromUtf8("[1,2]")).build();

    assertThat(json(value)).isEqualTo("[1,2]");
  }

  @Test
  void packedWrappersAreUnpackedWhenTheValueIsNotJson() {
    assertThat(json(Any.pack(StringValue.of("hello world")))).isEqualTo("\"hello world\"");
    assertThat(json(Any.pack(Int64Value.of(42)))).isEqualTo("42");
    assertThat(json(Any.pack(BoolValue.of(true)))).isEqualTo("true");
  }

  @Test
  void garbageUnderAnUnknownTypeIsRejectedWithTheTypeNamed() {
    var value = Any.newBuilder().setTypeUrl("type.googleapis.com/my.Custom").setValue(ByteString.copyFromUtf8("not json")).build();

    assertThatThrownBy(() -> AnyCodec.jsonOf(value)).hasMessageContaining("my.Custom");
  }
}
