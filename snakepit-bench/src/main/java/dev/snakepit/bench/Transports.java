package dev.snakepit.bench;

/** Which transport Snakepit uses to reach local workers, so each comparison uses the matching gRPC floor. */
final class Transports {
  private Transports() {}

  /** Whether Snakepit's default config reaches workers over Unix-domain sockets. */
  static boolean oursUsesUnixSockets() {
    return false;
  }

  /** The gRPC floor on the same transport as Snakepit. */
  static String floorName() {
    return oursUsesUnixSockets() ? "gRPC floor (UDS)" : "gRPC floor (TCP)";
  }
}
