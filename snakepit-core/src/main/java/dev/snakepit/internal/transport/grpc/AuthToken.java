package dev.snakepit.internal.transport.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** The per-pool secret sent as {@code x-snakepit-token} on every call, in both directions. */
public final class AuthToken {
  /** The metadata key of the token. */
  public static final Metadata.Key<String> KEY = Metadata.Key.of("x-snakepit-token", Metadata.ASCII_STRING_MARSHALLER);

  private final String value;

  private AuthToken(String value) {
    this.value = value;
  }

  /** A fresh random token. */
  public static AuthToken random() {
    var bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return new AuthToken(HexFormat.of().formatHex(bytes));
  }

  /** The token text (handed to workers through their environment). */
  public String value() {
    return value;
  }

  /** Adds the token to every outgoing call. */
  public ClientInterceptor clientInterceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(KEY, value);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  /**
   * Rejects incoming calls with a wrong token. Calls without one are rejected only when
   * {@code requireToken}: workers written for Snakepit do not send it.
   */
  public ServerInterceptor serverInterceptor(boolean requireToken) {
    var expected = value.getBytes(StandardCharsets.US_ASCII);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        var presented = headers.get(KEY);
        boolean ok = presented == null
            ? !requireToken
            : MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.US_ASCII));
        if (!ok) {
          call.close(Status.UNAUTHENTICATED.withDescription("missing or wrong x-snakepit-token"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }
}
