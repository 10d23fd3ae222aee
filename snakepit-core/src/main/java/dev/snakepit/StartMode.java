package dev.snakepit;

/**
 * How a pool starts its workers ({@link SnakepitConfig.Builder#startMode}).
 *
 * <p>Forked workers come from a template process that imported the adapter once: they start in
 * milliseconds and share the imported libraries' memory. Spawned workers each start a fresh
 * interpreter and import everything again.
 */
public enum StartMode {
  /**
   * Fork on Linux when it is safe (no threads, CUDA or gRPC objects in the template after the
   * imports; our own worker module), otherwise spawn and log one line naming the reason. The
   * default.
   */
  AUTO,
  /** Always fork; the pool fails to start (naming the reason) when forking is not possible. */
  FORK,
  /** Always spawn a fresh interpreter per worker (the behaviour before the fork server). */
  SPAWN
}
