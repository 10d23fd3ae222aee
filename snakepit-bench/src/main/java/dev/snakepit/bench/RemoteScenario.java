package dev.snakepit.bench;

import dev.snakepit.RemoteWorkers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 7: a remote (standalone) worker over TCP, plain and TLS, through the pool, next to the
 * bare gRPC floor over the same loopback TCP link: small-call p50 (one call in flight) and
 * closed-loop throughput (8 in flight). The workers run {@code python -m snakepit_bridge.server
 * --listen 127.0.0.1:0} with the bench adapter and a token; the certificate comes from openssl.
 */
final class RemoteScenario implements Scenario {
  static final String ID = "remote";
  static final String PLAIN = "snakepit remote (TCP)";
  static final String TLS = "snakepit remote (TCP + TLS)";
  static final int IN_FLIGHT = 8;

  @Override
  public String id() {
    return ID;
  }

  @Override
  public void run(BenchContext context, Report report) {
    report.section(ID, "8. Remote worker over TCP (32-byte echo; one standalone worker, max 8 concurrent calls)",
        GrpcFloor.Link.TCP.label, "p50 ratios: time / floor time (lower is better); throughput: calls/s");
    var bytes = LatencyScenario.MESSAGE.getBytes(StandardCharsets.UTF_8);
    var started = new ArrayList<AutoCloseable>();
    try {
      var pki = context.runDirectory.resolve("remote-pki");
      Files.createDirectories(pki);
      certificates(pki);
      context.say("remote: starting a plain and a TLS standalone worker, the gRPC TCP floor");
      int plainPort = worker(context, started, "plain");
      int tlsPort = worker(context, started, "tls", "--tls-cert", pki.resolve("server.crt").toString(), "--tls-key",
          pki.resolve("server.key").toString());
      var remote = RemoteWorkers.endpoints("127.0.0.1:" + plainPort).tokenFile(pki.resolve("token"));
      var remoteTls = RemoteWorkers.endpoints("localhost:" + tlsPort).tokenFile(pki.resolve("token"))
          .tls(pki.resolve("ca.crt"));
      var plain = context.track(SnakepitPeer.start(context, PLAIN, 1,
          b -> b.remoteWorkers(remote).workerConcurrency(IN_FLIGHT)));
      started.add(plain);
      var tls = context.track(SnakepitPeer.start(context, TLS, 1,
          b -> b.remoteWorkers(remoteTls).workerConcurrency(IN_FLIGHT)));
      started.add(tls);
      var floor = context.track(GrpcFloor.start(context, 1, GrpcFloor.Link.TCP));
      started.add(floor);
      var contenders = List.of(
          new Contender(PLAIN, Report.Role.OURS, () -> plain.echo(LatencyScenario.MESSAGE)),
          new Contender(TLS, Report.Role.OURS, () -> tls.echo(LatencyScenario.MESSAGE)),
          new Contender(floor.name(), Report.Role.FLOOR, () -> floor.echo(bytes)));
      var budget = context.budget;
      var samples = Scenario.interleave(contenders, budget.latencyWarmup(), budget.latencyRounds(),
          budget.latencyCallsPerRound());
      for (int i = 0; i < contenders.size(); i++) {
        report.latency(ID, "p50, 1 in flight", contenders.get(i).name(), contenders.get(i).role(), samples.get(i));
      }
      var rates = new double[3][budget.throughputRounds()];
      var order = new ArrayList<>(List.of(0, 1, 2));
      for (int round = 0; round < budget.throughputRounds(); round++) {
        for (int index : order) {
          rates[index][round] = switch (index) {
            case 0 -> ClosedLoop.async((done, failed) -> plain.echoAsync(LatencyScenario.MESSAGE, done, failed),
                IN_FLIGHT, budget.throughputWarmup(), budget.throughputWindow());
            case 1 -> ClosedLoop.async((done, failed) -> tls.echoAsync(LatencyScenario.MESSAGE, done, failed),
                IN_FLIGHT, budget.throughputWarmup(), budget.throughputWindow());
            default -> ClosedLoop.async((done, failed) -> floor.echoAsync(bytes, done, failed), IN_FLIGHT,
                budget.throughputWarmup(), budget.throughputWindow());
          };
        }
        Collections.rotate(order, 1);
      }
      String caseName = "throughput, " + IN_FLIGHT + " in flight";
      int n = budget.throughputRounds();
      report.rate(ID, caseName, PLAIN, Report.Role.OURS, Samples.median(rates[0]), "calls/s", n);
      report.rate(ID, caseName, TLS, Report.Role.OURS, Samples.median(rates[1]), "calls/s", n);
      report.rate(ID, caseName, floor.name(), Report.Role.FLOOR, Samples.median(rates[2]), "calls/s", n);
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("remote scenario: " + e.getMessage(), e);
    } finally {
      started.reversed().forEach(context::close);
    }
  }

  private static int worker(BenchContext context, List<AutoCloseable> started, String name, String... flags)
      throws IOException, InterruptedException {
    var ready = context.newPath("remote-" + name + "-", ".ready");
    var log = context.newPath("remote-" + name + "-", ".log");
    var command = new ArrayList<>(List.of(context.python.toString(), "-m", "snakepit_bridge.server", "--listen",
        "127.0.0.1:0", "--adapter", SnakepitPeer.ADAPTER, "--max-concurrency", Integer.toString(IN_FLIGHT),
        "--token-file", context.runDirectory.resolve("remote-pki").resolve("token").toString()));
    command.addAll(List.of(flags));
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("SNAKEPIT_READY_FILE", ready.toString());
    builder.environment().put("PYTHONPATH", context.helperRoot.toString());
    var process = builder.start();
    started.add(() -> {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    });
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(ready)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IOException("the " + name + " standalone worker did not start: " + Files.readString(log));
      }
      Thread.sleep(20); // polling a process we started until it announces its port; bounded above
    }
    return Integer.parseInt(Files.readString(ready).strip());
  }

  private static void certificates(Path directory) throws IOException, InterruptedException {
    openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=snakepit bench CA", "-keyout", "ca.key", "-out", "ca.crt");
    openssl(directory, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "server.key", "-out", "server.csr");
    Files.writeString(directory.resolve("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    openssl(directory, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "server.ext", "-out", "server.crt");
    Files.writeString(directory.resolve("token"), "bench-remote-token\n");
  }

  private static void openssl(Path directory, String... args) throws IOException, InterruptedException {
    var command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    var process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + " failed: " + output);
    }
  }
}
