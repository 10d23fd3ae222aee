package dev.snakepit.bench;

import java.util.Map;

/**
 * Snakepit's side of the callback scenario: a pool whose Python tool {@code call_host} calls the
 * Java host tool {@code host_echo}. Returns null while the library has no host tool registry.
 */
final class HostToolBench implements AutoCloseable {
  static final String PENDING_REASON = "host tools are not in snakepit-core yet (no host tool registry API)";

  private final SnakepitPeer peer;

  private HostToolBench(SnakepitPeer peer) {
    this.peer = peer;
  }

  static HostToolBench start(BenchContext context) {
    return null;
  }

  void call() {
    peer.execute("call_host", Map.of("tool", "host_echo", "arguments", Map.of("message", LatencyScenario.MESSAGE)));
  }

  @Override
  public void close() {
    peer.close();
  }
}
