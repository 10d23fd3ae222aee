package dev.snakepit.bench;

/**
 * Which transport Snakepit uses to reach local workers, so each comparison uses the matching gRPC
 * floor. Snakepit talks gRPC over TCP loopback (large bytes bypass gRPC through shared memory); the
 * latency table shows the floor over a Unix socket too. See docs/benchmarks.md for why Unix sockets
 * are not used yet.
 */
final class Transports {
  private Transports() {}

  /** Whether Snakepit's default config reaches workers over Unix-domain sockets. */
  static boolean oursUsesUnixSockets() {
    return false;
  }

  /** The gRPC floor link matching Snakepit's. */
  static GrpcFloor.Link floorLink() {
    return oursUsesUnixSockets() ? GrpcFloor.Link.UDS : GrpcFloor.Link.TCP;
  }

  /** The gRPC floor on the same transport as Snakepit. */
  static String floorName() {
    return floorLink().label;
  }
}
