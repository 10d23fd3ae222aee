package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToolArgumentsTest {
  private static final InputStream NO_STDIN = new ByteArrayInputStream(new byte[0]);

  @Test
  void shouldParseNumbersBooleansNullListsAndObjectsAsJson() {
    assertThat(json("2").isInt()).isTrue();
    assertThat(json("2").intValue()).isEqualTo(2);
    assertThat(json("-2.5").doubleValue()).isEqualTo(-2.5);
    assertThat(json("12345678901234567890").bigIntegerValue()).isEqualTo(new BigInteger("12345678901234567890"));
    assertThat(json("true").booleanValue()).isTrue();
    assertThat(json("null").isNull()).isTrue();
    assertThat(json("[1, \"x\"]").toString()).isEqualTo("[1,\"x\"]");
    assertThat(json("{\"k\": {\"n\": 1}}").path("k").path("n").intValue()).isEqualTo(1);
  }

  @Test
  void shouldTakeAnythingThatIsNotExactlyOneJsonValueAsAString() {
    assertThat(ToolArguments.parseValue("hello")).isEqualTo("hello");
    assertThat(ToolArguments.parseValue("hello world")).isEqualTo("hello world");
    assertThat(ToolArguments.parseValue("")).isEqualTo("");
    assertThat(ToolArguments.parseValue("1 2")).isEqualTo("1 2");
    assertThat(ToolArguments.parseValue("007")).isEqualTo("007");
    assertThat(ToolArguments.parseValue("[1,")).isEqualTo("[1,");
    assertThat(ToolArguments.parseValue("{} trailing")).isEqualTo("{} trailing");
    assertThat(ToolArguments.parseValue("True")).isEqualTo("True");
    assertThat(ToolArguments.parseValue("2024-01-01")).isEqualTo("2024-01-01");
  }

  @Test
  void shouldUnquoteAJsonStringSoQuotesForceAString() {
    assertThat(ToolArguments.parseValue("\"42\"")).isEqualTo("42");
  }

  @Test
  void shouldSplitOnTheFirstEqualsSignAndKeepOrder() {
    var arguments = ToolArguments.parse(List.of("b=x=y", "a=1"), NO_STDIN);

    assertThat(arguments.keySet()).containsExactly("b", "a");
    assertThat(arguments.get("b")).isEqualTo("x=y");
  }

  @Test
  void shouldReadFileBytesForAtFileAndStdinForAtDash(@TempDir Path dir) throws Exception {
    var file = Files.write(dir.resolve("data.bin"), new byte[] {0, 1, 2, (byte) 255});
    var stdin = new ByteArrayInputStream(new byte[] {9, 8});

    var arguments = ToolArguments.parse(List.of("data=@" + file, "more=@-", "handle=@@me"), stdin);

    assertThat((byte[]) arguments.get("data")).containsExactly(0, 1, 2, 255);
    assertThat((byte[]) arguments.get("more")).containsExactly(9, 8);
    assertThat(arguments.get("handle")).isEqualTo("@me");
  }

  @Test
  void shouldRejectMalformedWordsNamingThem() {
    assertThatThrownBy(() -> ToolArguments.parse(List.of("novalue"), NO_STDIN)).hasMessageContaining("'novalue' is not NAME=VALUE");
    assertThatThrownBy(() -> ToolArguments.parse(List.of("=5"), NO_STDIN)).hasMessageContaining("has no name");
    assertThatThrownBy(() -> ToolArguments.parse(List.of("a=1", "a=2"), NO_STDIN)).hasMessageContaining("'a' is given twice");
    assertThatThrownBy(() -> ToolArguments.parse(List.of("f=@/no/such/file"), NO_STDIN)).hasMessageContaining("no such file");
    assertThatThrownBy(() -> ToolArguments.parse(List.of("a=@-", "b=@-"), NO_STDIN)).hasMessageContaining("only one argument");
  }

  private static JsonNode json(String text) {
    var value = ToolArguments.parseValue(text);
    assertThat(value).as("'%s' should parse as JSON", text).isInstanceOf(JsonNode.class);
    return (JsonNode) value;
  }
}
