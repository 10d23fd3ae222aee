package dev.snakepit;

/**
 * How the pool talks to its workers ({@link SnakepitConfig.Builder#transport}).
 *
 * <p>The lane is a framed Unix-domain socket between the host and our own Python worker
 * (docs/lane.md): a call costs tens of microseconds instead of the few hundred a gRPC round trip
 * costs. gRPC is the Snakepit protocol, which workers written for Snakepit (a {@code grpc_server.py})
 * speak.
 */
public enum Transport {
  /** The lane for our own worker module; gRPC when a worker script or another module is given. The default. */
  AUTO,
  /** Always the lane; needs our worker ({@code snakepit_bridge}) on the Python side. */
  LANE,
  /** Always gRPC. */
  GRPC
}
