package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.internal.tools.HostToolRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Host tool definitions, argument binding and the registry, without workers. */
class HostToolRegistrationTest {
  private static final HostTool.Handler ECHO = (args, ctx) -> args;

  /** A context for calling handlers directly: no session, no pool. */
  private static final HostToolContext DIRECT = new HostToolContext() {
    @Override public String toolName() {
      return "direct";
    }

    @Override public Optional<String> sessionId() {
      return Optional.empty();
    }

    @Override public Optional<String> workerId() {
      return Optional.empty();
    }

    @Override public Map<String, String> metadata() {
      return Map.of();
    }

    @Override public Duration remaining() {
      return Duration.ofSeconds(1);
    }

    @Override public Snakepit snakepit() {
      throw new UnsupportedOperationException("no pool in this test");
    }

    @Override public ToolResult execute(String tool, Map<String, ?> arguments) {
      throw new UnsupportedOperationException("no pool in this test");
    }

    @Override public ToolResult execute(String tool, Map<String, ?> arguments, CallOptions options) {
      throw new UnsupportedOperationException("no pool in this test");
    }
  };

  private static HostTool tool(String name) {
    return HostTool.of(name, "test tool " + name, ECHO);
  }

  private static HostToolRegistry registry(HostTool... initial) {
    return new HostToolRegistry(List.of(initial), Duration.ofSeconds(5));
  }

  // ---- names and parameter specs -------------------------------------------------------------

  @Test
  void shouldRejectNamesThatAreNotIdentifiers() {
    for (var bad : List.of("", "1abc", "with space", "dash-ed", "dot.ted", "x".repeat(65))) {
      assertThatThrownBy(() -> HostTool.builder(bad), bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("host tool name must be an identifier")
          .hasMessageContaining("'" + bad + "'");
    }
    assertThat(HostTool.builder("_ok_Name9").handler(ECHO).build().name()).isEqualTo("_ok_Name9");
  }

  @Test
  void shouldRejectBadParameterSpecs() {
    assertThatThrownBy(() -> ParamSpec.required("not-ident", ParamSpec.STRING, ""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'not-ident'");
    assertThatThrownBy(() -> ParamSpec.required("x", "strnig", ""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'strnig'");
    assertThatThrownBy(() -> new ParamSpec("x", ParamSpec.INTEGER, "", true, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot have a default");
    assertThatThrownBy(() -> ParamSpec.optional("x", ParamSpec.ANY, new Object(), ""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not JSON-encodable");
    assertThatThrownBy(() -> HostTool.builder("t").params(ParamSpec.required("a", "int", ""), ParamSpec.optional("a", "str", "")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already declares parameter 'a'");
    assertThatThrownBy(() -> HostTool.builder("t").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("no handler");
  }

  @Test
  void shouldNormalizePythonTypeSpellings() {
    assertThat(List.of("str", "int", "float", "bool", "list", "dict", "binary", "ANY"))
        .map(type -> ParamSpec.optional("p", type, "").type())
        .containsExactly("string", "integer", "number", "boolean", "array", "object", "bytes", "any");
  }

  // ---- binding arguments ---------------------------------------------------------------------

  private static final HostTool PROCESS = HostTool.builder("process_list")
      .param(ParamSpec.required("items", ParamSpec.ARRAY, "the items"))
      .param(ParamSpec.optional("operation", ParamSpec.STRING, "sum", "what to do"))
      .param(ParamSpec.optional("limit", ParamSpec.INTEGER, "at most this many"))
      .handler(ECHO)
      .build();

  @Test
  void shouldFillInDefaultsAndLeaveOptionalArgumentsWithoutDefaultAbsent() {
    var bound = PROCESS.bind(Map.of("items", List.of(1, 2))).arguments();

    assertThat(bound).containsExactly(Map.entry("items", List.of(1, 2)), Map.entry("operation", "sum"));
  }

  @Test
  void shouldRejectAMissingRequiredArgumentNamingIt() {
    assertThatThrownBy(() -> PROCESS.bind(Map.of("operation", "sum")))
        .isInstanceOfSatisfying(InvalidArgumentsException.class, e -> {
          assertThat(e.parameter()).contains("items");
          assertThat(e.problem()).contains("missing");
          assertThat(e.expected()).contains("array");
          assertThat(e.toolName()).contains("process_list");
        })
        .hasMessageContaining("missing required argument 'items'");
  }

  @Test
  void shouldRejectAnUnknownArgumentListingTheDeclaredOnes() {
    assertThatThrownBy(() -> PROCESS.bind(Map.of("items", List.of(), "colour", "red")))
        .isInstanceOfSatisfying(InvalidArgumentsException.class, e -> {
          assertThat(e.parameter()).contains("colour");
          assertThat(e.problem()).contains("unexpected");
        })
        .hasMessageContaining("It takes: items, operation, limit.");
  }

  @Test
  void shouldRejectAValueOfTheWrongType() {
    assertThatThrownBy(() -> PROCESS.bind(Map.of("items", List.of(), "limit", 2.5)))
        .isInstanceOfSatisfying(InvalidArgumentsException.class, e -> {
          assertThat(e.parameter()).contains("limit");
          assertThat(e.expected()).contains("integer");
          assertThat(e.received()).contains("number");
          assertThat(e.problem()).contains("type");
        });
    var nullItems = new HashMap<String, Object>();
    nullItems.put("items", null);
    assertThatThrownBy(() -> PROCESS.bind(nullItems)).isInstanceOf(InvalidArgumentsException.class)
        .hasMessageContaining("must be array, got null");
  }

  @Test
  void shouldPassUndeclaredArgumentsOnlyWhenAllowed() {
    var lenient = HostTool.builder("lenient").param(ParamSpec.required("a", ParamSpec.ANY, "")).allowExtraArguments()
        .handler(ECHO).build();

    assertThat(lenient.bind(Map.of("a", 1, "b", 2)).arguments()).containsEntry("b", 2);
    assertThat(tool("free").bind(Map.of("anything", true)).arguments()).containsEntry("anything", true);
  }

  record FibArgs(int n, Optional<String> label, byte[] payload) {}

  @Test
  void shouldDeriveParametersFromARecordAndMapArgumentsOntoIt() throws Exception {
    var fib = HostTool.builder("fib")
        .handler(FibArgs.class, (args, ctx) -> args.n() + ":" + args.label().orElse("-") + ":" + args.payload().length)
        .build();

    assertThat(fib.parameters()).containsExactly(
        new ParamSpec("n", ParamSpec.INTEGER, "", true, null),
        new ParamSpec("label", ParamSpec.STRING, "", false, null),
        new ParamSpec("payload", ParamSpec.BYTES, "", true, null));
    assertThat(fib.invoke(Map.of("n", 7, "payload", new byte[] {1, 2, 3}), DIRECT)).isEqualTo("7:-:3");
    assertThat(fib.invoke(Map.of("n", 7, "label", "x", "payload", new byte[0]), DIRECT)).isEqualTo("7:x:0");
    assertThatThrownBy(() -> fib.bind(Map.of("n", "seven", "payload", new byte[0])))
        .isInstanceOf(InvalidArgumentsException.class).hasMessageContaining("must be integer, got string");
  }

  // ---- the registry --------------------------------------------------------------------------

  @Test
  void shouldRejectADuplicateGlobalNameWithATypedError() {
    var tools = registry(tool("parse_json"));

    assertThatThrownBy(() -> tools.register(tool("parse_json")))
        .isInstanceOfSatisfying(DuplicateHostToolException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.DUPLICATE_HOST_TOOL);
          assertThat(e.toolName()).contains("parse_json");
          assertThat(e.sessionId()).isEmpty();
        })
        .hasMessageContaining("'parse_json'");
  }

  @Test
  void shouldRejectASessionToolThatCollidesWithAGlobalOneAndViceVersa() {
    var tools = registry(tool("shared"));
    tools.registerForSession("s1", tool("mine"));

    assertThatThrownBy(() -> tools.registerForSession("s2", tool("shared")))
        .isInstanceOfSatisfying(DuplicateHostToolException.class, e -> assertThat(e.sessionId()).contains("s2"));
    assertThatThrownBy(() -> tools.registerForSession("s1", tool("mine")))
        .isInstanceOfSatisfying(DuplicateHostToolException.class, e -> assertThat(e.existingSessionId()).contains("s1"));
    assertThatThrownBy(() -> tools.register(tool("mine")))
        .isInstanceOfSatisfying(DuplicateHostToolException.class, e -> assertThat(e.existingSessionId()).contains("s1"));
    tools.registerForSession("s2", tool("mine"));
    assertThat(tools.visibleTo("s2")).extracting(HostTool::name).containsExactly("mine", "shared");
  }

  @Test
  void shouldRejectDuplicatesAlreadyInTheConfigBuilder() {
    var builder = SnakepitConfig.builder().hostTool(tool("a"));

    assertThatThrownBy(() -> builder.hostTool(tool("a"))).isInstanceOf(DuplicateHostToolException.class);
    assertThat(builder.hostTool(tool("b")).build().hostTools()).extracting(HostTool::name).containsExactly("a", "b");
    assertThat(builder.build().toBuilder().build().hostTools()).hasSize(2);
  }

  @Test
  void shouldScopeSessionToolsToTheirSessionAndDropThemWithIt() {
    var tools = registry(tool("global_one"));
    tools.registerForSession("s1", tool("only_s1"));
    tools.registerForSession("s1", tool("also_s1"));

    assertThat(tools.visibleTo("s1")).extracting(HostTool::name).containsExactly("also_s1", "global_one", "only_s1");
    assertThat(tools.visibleTo("s2")).extracting(HostTool::name).containsExactly("global_one");
    assertThat(tools.visibleTo("")).extracting(HostTool::name).containsExactly("global_one");
    assertThat(tools.find("s2", "only_s1")).isEmpty();
    assertThat(tools.find("s1", "only_s1")).isPresent();

    assertThat(tools.unregisterForSession("s1", "also_s1")).isTrue();
    assertThat(tools.removeSession("s1")).isEqualTo(1);
    assertThat(tools.visibleTo("s1")).extracting(HostTool::name).containsExactly("global_one");
    assertThat(tools.unregister("global_one")).isTrue();
    assertThat(tools.unregister("global_one")).isFalse();
    assertThat(tools.list()).isEmpty();
  }

  @Test
  void shouldRejectABlankSessionId() {
    assertThatThrownBy(() -> registry().registerForSession(" ", tool("x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionId must not be blank");
  }
}
