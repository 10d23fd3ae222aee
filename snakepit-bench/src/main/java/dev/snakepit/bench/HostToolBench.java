package dev.snakepit.bench;

import dev.snakepit.HostTool;
import java.util.Map;

/**
 * Snakepit's side of the callback scenario: a pool whose Python tool {@code call_host} calls the
 * Java host tool {@code host_echo}, which returns its argument.
 */
final class HostToolBench implements AutoCloseable {
  static final String HOST_TOOL = "host_echo";

  private final SnakepitPeer peer;

  private HostToolBench(SnakepitPeer peer) {
    this.peer = peer;
  }

  static HostToolBench start(BenchContext context) {
    return start(context, "snakepit", b -> b);
  }

  static HostToolBench start(BenchContext context, String name,
      java.util.function.UnaryOperator<dev.snakepit.SnakepitConfig.Builder> tweak) {
    var echo = HostTool.builder(HOST_TOOL)
        .description("Returns its argument (benchmark)")
        .handler((arguments, call) -> arguments.get("message"))
        .build();
    var peer = SnakepitPeer.start(context, name, 1, b -> tweak.apply(b.hostTool(echo)));
    return new HostToolBench(peer);
  }

  void call() {
    var result = peer.execute("call_host", Map.of("tool", HOST_TOOL, "arguments", Map.of("message", LatencyScenario.MESSAGE)));
    if (!LatencyScenario.MESSAGE.equals(result.asText())) {
      throw new IllegalStateException("host tool returned " + result.json());
    }
  }

  @Override
  public void close() {
    peer.close();
  }
}
