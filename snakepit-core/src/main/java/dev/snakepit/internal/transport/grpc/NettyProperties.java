package dev.snakepit.internal.transport.grpc;

/**
 * Netty settings applied before gRPC's shaded Netty first loads. We only use Netty's NIO transport
 * (TCP on loopback), so its native transports are switched off: loading them calls
 * {@code System.loadLibrary}, which JDK 24+ reports with four "restricted method" warnings on
 * stderr. A value the application already set wins (e.g.
 * {@code -Dio.grpc.netty.shaded.io.netty.transport.noNative=false} for code of its own that wants epoll).
 */
public final class NettyProperties {
  /** The shaded name of Netty's {@code io.netty.transport.noNative}. */
  public static final String NO_NATIVE = "io.grpc.netty.shaded.io.netty.transport.noNative";

  private NettyProperties() {}

  /** Sets the properties that are not set yet; call before any shaded Netty class initializes. */
  public static void apply() {
    if (System.getProperty(NO_NATIVE) == null) {
      System.setProperty(NO_NATIVE, "true");
    }
  }
}
