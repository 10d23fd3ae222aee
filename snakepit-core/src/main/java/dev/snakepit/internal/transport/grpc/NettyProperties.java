package dev.snakepit.internal.transport.grpc;

/**
 * Netty settings applied before gRPC's shaded Netty first loads. We only use Netty's NIO transport
 * (TCP on loopback), so its native transports are switched off, and so is its OpenSSL binding
 * (TLS to remote workers then uses the JDK's provider): loading either calls
 * {@code System.loadLibrary}, which JDK 24+ reports with four "restricted method" warnings on
 * stderr. A value the application already set wins (e.g.
 * {@code -Dio.grpc.netty.shaded.io.netty.transport.noNative=false} for code of its own that wants epoll).
 */
public final class NettyProperties {
  /** The shaded name of Netty's {@code io.netty.transport.noNative}. */
  public static final String NO_NATIVE = "io.grpc.netty.shaded.io.netty.transport.noNative";
  /** The shaded name of Netty's {@code io.netty.handler.ssl.noOpenSsl}: TLS (remote workers) uses the JDK's provider. */
  public static final String NO_OPENSSL = "io.grpc.netty.shaded.io.netty.handler.ssl.noOpenSsl";

  private NettyProperties() {}

  /** Sets the properties that are not set yet; call before any shaded Netty class initializes. */
  public static void apply() {
    for (var name : new String[] {NO_NATIVE, NO_OPENSSL}) {
      if (System.getProperty(name) == null) {
        System.setProperty(name, "true");
      }
    }
  }
}
