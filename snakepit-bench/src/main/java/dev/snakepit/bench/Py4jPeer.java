package dev.snakepit.bench;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import py4j.GatewayServer;

/**
 * The Py4J peer: Java calls a Python object through Py4J's callback server (py4j from PyPI, the
 * py4j jar from Maven Central, same version). One {@link GatewayServer} and one Python process per
 * "worker"; calls go round-robin. Py4J has no asynchronous API: concurrent calls need threads.
 */
final class Py4jPeer implements AutoCloseable {
  private final BenchContext context;
  private final List<GatewayServer> gateways;
  private final List<HelperProcess> processes;
  private final List<Py4jWorker> workers;
  private final AtomicInteger next = new AtomicInteger();

  private Py4jPeer(BenchContext context, List<GatewayServer> gateways, List<HelperProcess> processes, List<Py4jWorker> workers) {
    this.context = context;
    this.gateways = gateways;
    this.processes = processes;
    this.workers = workers;
  }

  /** Starts {@code count} gateways and Python processes concurrently; returns when every one answered a call. */
  static Py4jPeer start(BenchContext context, int count) {
    GatewayServer.turnLoggingOff();
    var gateways = new ArrayList<GatewayServer>();
    var processes = new ArrayList<HelperProcess>();
    var entries = new ArrayList<Py4jEntry>();
    try {
      for (int i = 0; i < count; i++) {
        var entry = new Py4jEntry();
        var gateway = new GatewayServer.GatewayServerBuilder()
            .entryPoint(entry)
            .javaPort(0)
            .javaAddress(InetAddress.getLoopbackAddress())
            .callbackClient(GatewayServer.DEFAULT_PYTHON_PORT, InetAddress.getLoopbackAddress())
            .build();
        gateway.start();
        gateways.add(gateway);
        entries.add(entry);
        processes.add(context.spawnHelper("py4j-worker", "py4j_worker.py", List.of(Integer.toString(gateway.getListeningPort()))));
      }
      var workers = new ArrayList<Py4jWorker>();
      for (int i = 0; i < count; i++) {
        processes.get(i).awaitReady(Duration.ofSeconds(30));
        var worker = entries.get(i).worker().get(30, TimeUnit.SECONDS);
        worker.echo("warm");
        workers.add(worker);
      }
      return new Py4jPeer(context, gateways, processes, workers);
    } catch (Exception e) {
      gateways.forEach(GatewayServer::shutdown);
      processes.forEach(context::stop);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("Py4J peer did not start: " + e.getMessage(), e);
    }
  }

  String name() {
    return "Py4J";
  }

  /**
   * Opens Py4J's callback connections for {@code concurrency} calls in flight before anything is
   * measured. Py4J opens one connection per concurrent call, and its Python callback server accepts
   * with a backlog of 5: a first burst of 64 calls stalls for seconds on TCP retransmits. Runs bursts
   * until two in a row agree within 20% (at most ~15 s).
   */
  void warmConnections(int concurrency) {
    double previous = 0;
    for (int i = 0; i < 12; i++) {
      double rate = ClosedLoop.threads(() -> worker().echo("warm"), concurrency, java.time.Duration.ofMillis(100),
          java.time.Duration.ofMillis(300));
      if (previous > 0 && rate > 0 && Math.abs(rate - previous) / previous < 0.2) {
        return;
      }
      previous = rate;
    }
  }

  Py4jWorker worker() {
    return workers.get(Math.floorMod(next.getAndIncrement(), workers.size()));
  }

  @Override
  public void close() {
    gateways.forEach(GatewayServer::shutdown);
    processes.forEach(context::stop);
  }

  @Override
  public String toString() {
    return name();
  }
}
