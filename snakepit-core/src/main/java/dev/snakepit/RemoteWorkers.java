package dev.snakepit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a pool finds remote workers (standalone workers started with
 * {@code python -m snakepit_bridge.server --listen HOST:PORT ...}) and how it talks to them: a fixed
 * list of {@code host:port} endpoints or a DNS name re-resolved periodically
 * ({@code dns:///workers.ml.svc.cluster.local:50051}, one worker per address in the answer), the
 * token, TLS, and how often endpoints are health-checked. Immutable; start from
 * {@link #parse(String)}, {@link #endpoints(String...)} or {@link #dns(String, int)}.
 *
 * <p>A worker whose health checks fail {@link #failuresBeforeDown()} times in a row is taken out
 * of the pool (its calls fail with a typed error naming the endpoint) and reconnected with
 * exponential back-off; it comes back as a new worker when it answers again.
 */
public final class RemoteWorkers {
  /** How the endpoints are found. */
  public sealed interface Target permits Endpoints, Dns {}

  /**
   * A fixed list of endpoints.
   *
   * @param endpoints {@code host:port} entries
   */
  public record Endpoints(List<String> endpoints) implements Target {
    /** Validates every entry. */
    public Endpoints {
      endpoints = List.copyOf(endpoints);
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("remote workers: at least one HOST:PORT is needed");
      }
      endpoints.forEach(e -> splitHostPort(e, e));
    }
  }

  /**
   * A DNS name whose addresses are the workers, re-resolved every {@link #resolveInterval()}.
   *
   * @param name the host name (a headless Kubernetes Service, for example)
   * @param port the workers' port
   */
  public record Dns(String name, int port) implements Target {
    /** Validates. */
    public Dns {
      Objects.requireNonNull(name, "name");
      if (name.isBlank() || port < 1 || port > 65535) {
        throw new IllegalArgumentException("remote workers: dns:///NAME:PORT needs a name and a port 1-65535, got "
            + name + ":" + port);
      }
    }
  }

  private final Target target;
  private final String token;
  private final Path trustedCertificates;
  private final Path clientCertificate;
  private final Path clientKey;
  private final boolean tls;
  private final Duration resolveInterval;
  private final Duration healthCheckInterval;
  private final Duration healthCheckTimeout;
  private final int failuresBeforeDown;

  private RemoteWorkers(Target target, String token, boolean tls, Path trustedCertificates, Path clientCertificate,
      Path clientKey, Duration resolveInterval, Duration healthCheckInterval, Duration healthCheckTimeout,
      int failuresBeforeDown) {
    this.target = target;
    this.token = token;
    this.tls = tls;
    this.trustedCertificates = trustedCertificates;
    this.clientCertificate = clientCertificate;
    this.clientKey = clientKey;
    this.resolveInterval = resolveInterval;
    this.healthCheckInterval = healthCheckInterval;
    this.healthCheckTimeout = healthCheckTimeout;
    this.failuresBeforeDown = failuresBeforeDown;
  }

  /**
   * Parses the CLI form: {@code HOST:PORT[,HOST:PORT...]} or {@code dns:///NAME:PORT}.
   *
   * @param spec the endpoints
   * @return plaintext, no token, default health checks
   * @throws IllegalArgumentException naming the malformed part
   */
  public static RemoteWorkers parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec.startsWith("dns:")) {
      String rest = spec.startsWith("dns:///") ? spec.substring(7) : spec.substring(4);
      var hostPort = splitHostPort(rest, spec);
      return dns(hostPort.host(), hostPort.port());
    }
    var entries = new ArrayList<String>();
    for (var part : spec.split(",")) {
      if (!part.isBlank()) {
        entries.add(part.strip());
      }
    }
    return new RemoteWorkers(new Endpoints(entries), null, false, null, null, null, Duration.ofSeconds(10),
        Duration.ofSeconds(1), Duration.ofSeconds(1), 2);
  }

  /**
   * A fixed list of workers.
   *
   * @param endpoints {@code host:port} entries ({@code [v6]:port} for IPv6)
   * @return plaintext, no token, default health checks
   */
  public static RemoteWorkers endpoints(String... endpoints) {
    return parse(String.join(",", endpoints));
  }

  /**
   * The workers behind a DNS name, re-resolved periodically.
   *
   * @param name the name
   * @param port the workers' port
   * @return plaintext, no token, default health checks, re-resolved every 10 s
   */
  public static RemoteWorkers dns(String name, int port) {
    return new RemoteWorkers(new Dns(name, port), null, false, null, null, null, Duration.ofSeconds(10),
        Duration.ofSeconds(1), Duration.ofSeconds(1), 2);
  }

  /**
   * The pool token the workers were started with ({@code --token-file}).
   *
   * @param token non-blank
   * @return a copy with the token
   */
  public RemoteWorkers token(String token) {
    Objects.requireNonNull(token, "token");
    if (token.isBlank()) {
      throw new IllegalArgumentException("remote workers: the token must not be blank");
    }
    return new RemoteWorkers(target, token.strip(), tls, trustedCertificates, clientCertificate, clientKey,
        resolveInterval, healthCheckInterval, healthCheckTimeout, failuresBeforeDown);
  }

  /**
   * Reads the token from a file (surrounding whitespace ignored), as the worker does.
   *
   * @param file the token file
   * @return a copy with the token
   * @throws IllegalArgumentException when the file cannot be read or is empty
   */
  public RemoteWorkers tokenFile(Path file) {
    try {
      var text = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        throw new IllegalArgumentException("remote workers: token file " + file + " is empty");
      }
      return token(text);
    } catch (IOException e) {
      throw new IllegalArgumentException("remote workers: cannot read token file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Speaks TLS and verifies the workers' certificates against these CA certificates (PEM) instead
   * of the JVM's default trust store. The certificate must name the endpoint's host.
   *
   * @param caCertificates PEM file
   * @return a copy using TLS
   */
  public RemoteWorkers tls(Path caCertificates) {
    requireReadable(caCertificates, "CA certificates");
    return new RemoteWorkers(target, token, true, caCertificates, clientCertificate, clientKey, resolveInterval,
        healthCheckInterval, healthCheckTimeout, failuresBeforeDown);
  }

  /**
   * Speaks TLS, trusting the JVM's default CAs.
   *
   * @return a copy using TLS
   */
  public RemoteWorkers tls() {
    return new RemoteWorkers(target, token, true, trustedCertificates, clientCertificate, clientKey, resolveInterval,
        healthCheckInterval, healthCheckTimeout, failuresBeforeDown);
  }

  /**
   * Presents this client certificate (workers started with {@code --tls-client-ca}); implies TLS.
   *
   * @param certificateChain PEM certificate chain
   * @param privateKey PEM private key (PKCS#8)
   * @return a copy with the client certificate
   */
  public RemoteWorkers clientCertificate(Path certificateChain, Path privateKey) {
    requireReadable(certificateChain, "client certificate");
    requireReadable(privateKey, "client key");
    return new RemoteWorkers(target, token, true, trustedCertificates, certificateChain, privateKey, resolveInterval,
        healthCheckInterval, healthCheckTimeout, failuresBeforeDown);
  }

  /**
   * Health checks: a {@code Ping} every {@code interval}, failing after {@code timeout}; a worker
   * is taken out after {@code failuresBeforeDown} failures in a row. A lost worker is therefore
   * noticed within about {@code failuresBeforeDown * (interval + timeout)} (defaults 1 s, 1 s, 2).
   *
   * @param interval time between checks of one worker
   * @param timeout how long one check may take
   * @param failuresBeforeDown failures in a row before the worker is taken out (at least 1)
   * @return a copy with these settings
   */
  public RemoteWorkers healthCheck(Duration interval, Duration timeout, int failuresBeforeDown) {
    if (failuresBeforeDown < 1) {
      throw new IllegalArgumentException("remote workers: failuresBeforeDown must be at least 1, was "
          + failuresBeforeDown);
    }
    return new RemoteWorkers(target, token, tls, trustedCertificates, clientCertificate, clientKey, resolveInterval,
        positive(interval, "health check interval"), positive(timeout, "health check timeout"), failuresBeforeDown);
  }

  /**
   * How often a DNS target is re-resolved (default 10 s); ignored for a fixed list.
   *
   * @param interval the period
   * @return a copy with this period
   */
  public RemoteWorkers resolveInterval(Duration interval) {
    return new RemoteWorkers(target, token, tls, trustedCertificates, clientCertificate, clientKey,
        positive(interval, "resolve interval"), healthCheckInterval, healthCheckTimeout, failuresBeforeDown);
  }

  /** How the endpoints are found. */
  public Target target() {
    return target;
  }

  /** The token, if set. */
  public Optional<String> token() {
    return Optional.ofNullable(token);
  }

  /** Whether calls use TLS. */
  public boolean usesTls() {
    return tls;
  }

  /** The CA certificates that verify the workers, if not the JVM's defaults. */
  public Optional<Path> trustedCertificates() {
    return Optional.ofNullable(trustedCertificates);
  }

  /** The client certificate chain, if any. */
  public Optional<Path> clientCertificate() {
    return Optional.ofNullable(clientCertificate);
  }

  /** The client private key, if any. */
  public Optional<Path> clientKey() {
    return Optional.ofNullable(clientKey);
  }

  /** How often a DNS target is re-resolved. */
  public Duration resolveInterval() {
    return resolveInterval;
  }

  /** Time between health checks of one worker. */
  public Duration healthCheckInterval() {
    return healthCheckInterval;
  }

  /** How long one health check may take. */
  public Duration healthCheckTimeout() {
    return healthCheckTimeout;
  }

  /** Failed health checks in a row before a worker is taken out. */
  public int failuresBeforeDown() {
    return failuresBeforeDown;
  }

  @Override
  public String toString() {
    var where = switch (target) {
      case Endpoints e -> String.join(",", e.endpoints());
      case Dns d -> "dns:///" + d.name() + ":" + d.port();
    };
    return "RemoteWorkers[" + where + (tls ? ", TLS" : ", plaintext") + (token != null ? ", token" : "")
        + (clientCertificate != null ? ", client certificate" : "") + "]";
  }

  /**
   * A parsed {@code host:port}.
   *
   * @param host host name or address (IPv6 without brackets)
   * @param port 1-65535
   */
  public record HostPort(String host, int port) {
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /**
   * Splits {@code host:port} or {@code [v6]:port}.
   *
   * @param text the entry
   * @param context what to quote in the error message
   * @return the parts
   * @throws IllegalArgumentException when malformed
   */
  public static HostPort splitHostPort(String text, String context) {
    int colon = text.lastIndexOf(':');
    String host = colon > 0 ? text.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = -1;
    try {
      port = colon > 0 ? Integer.parseInt(text.substring(colon + 1)) : -1;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    if (host.isBlank() || port < 1 || port > 65535) {
      throw new IllegalArgumentException("remote workers: expected HOST:PORT (port 1-65535) or dns:///NAME:PORT, got '"
          + context + "'");
    }
    return new HostPort(host, port);
  }

  private static Duration positive(Duration value, String what) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("remote workers: " + what + " must be positive, was " + value);
    }
    return value;
  }

  private static void requireReadable(Path file, String what) {
    Objects.requireNonNull(file, what);
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("remote workers: " + what + " file " + file + " is not readable");
    }
  }
}
