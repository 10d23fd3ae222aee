package dev.snakepit.internal.remote;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Linux network namespaces for failure tests: each "host" is a namespace joined to the test's own
 * namespace by a veth pair with a /30 of its own. Only addresses on interfaces this lab creates are
 * used; deleting a namespace deletes its veth pair. Needs root (CAP_NET_ADMIN) and iproute2;
 * {@link #create} skips the test with the reason otherwise.
 */
final class NetnsLab implements AutoCloseable {
  /** One namespace: its name, the host-side interface, and the two addresses of the link. */
  record Host(String namespace, String hostInterface, String hostAddress, String address) {
    /** The command prefix that runs a program inside the namespace. */
    List<String> exec() {
      return List.of("ip", "netns", "exec", namespace);
    }
  }

  private static final java.util.concurrent.atomic.AtomicInteger LABS = new java.util.concurrent.atomic.AtomicInteger();

  private final List<Host> hosts = new ArrayList<>();
  private final String prefix;
  private final int subnet;

  private NetnsLab(String prefix, int subnet) {
    this.prefix = prefix;
    this.subnet = subnet;
  }

  /** Skips the calling test unless namespaces can be made here. */
  static NetnsLab create() throws IOException, InterruptedException {
    if (!"root".equals(System.getProperty("user.name"))) {
      Assumptions.abort("network-namespace failure tests need root (CAP_NET_ADMIN); running as "
          + System.getProperty("user.name"));
    }
    // Names and subnets unique per lab: a deleted namespace's veth pair disappears asynchronously,
    // so the next test must not reuse its names.
    long pid = ProcessHandle.current().pid();
    int index = LABS.getAndIncrement();
    var lab = new NetnsLab("spk" + (pid % 10_000) + "x" + index, (int) ((pid + index * 7L) % 200) + 20);
    var probe = run(List.of("ip", "netns", "add", lab.prefix + "probe"));
    if (probe.exit != 0) {
      Assumptions.abort("cannot create a network namespace (ip netns add): " + probe.output.strip());
    }
    run(List.of("ip", "netns", "del", lab.prefix + "probe"));
    return lab;
  }

  /** Adds a namespace joined by a fresh veth pair; its address is 10.213.S.(4i+2), ours 10.213.S.(4i+1). */
  Host add() throws IOException, InterruptedException {
    int i = hosts.size();
    var host = new Host(prefix + "n" + i, prefix + "h" + i, "10.213." + subnet + "." + (4 * i + 1),
        "10.213." + subnet + "." + (4 * i + 2));
    var peer = prefix + "w" + i;
    must("ip", "netns", "add", host.namespace());
    hosts.add(host);
    must("ip", "link", "add", host.hostInterface(), "type", "veth", "peer", "name", peer, "netns", host.namespace());
    must("ip", "addr", "add", host.hostAddress() + "/30", "dev", host.hostInterface());
    must("ip", "link", "set", host.hostInterface(), "up");
    must("ip", "netns", "exec", host.namespace(), "ip", "addr", "add", host.address() + "/30", "dev", peer);
    must("ip", "netns", "exec", host.namespace(), "ip", "link", "set", peer, "up");
    must("ip", "netns", "exec", host.namespace(), "ip", "link", "set", "lo", "up");
    return host;
  }

  /** Takes the link down (or up again) on our side. */
  void link(Host host, boolean up) throws IOException, InterruptedException {
    must("ip", "link", "set", host.hostInterface(), up ? "up" : "down");
  }

  /**
   * Impairs traffic to the host's worker port: {@code tc netem} latency and loss where the kernel
   * has it; otherwise (no sch_netem, as on some VM kernels) random loss with an nftables rule in
   * the host's namespace and no added latency. Returns which one was applied, for the figures.
   */
  String impair(Host host, int delayMillis, double lossPercent, int port) throws IOException, InterruptedException {
    var netem = run(List.of("tc", "qdisc", "replace", "dev", host.hostInterface(), "root", "netem", "delay",
        delayMillis + "ms", "loss", lossPercent + "%"));
    if (netem.exit == 0) {
      return "tc netem delay " + delayMillis + " ms loss " + lossPercent + "%";
    }
    clearImpairment(host);
    nft(host, "add", "table", "inet", "spk");
    nft(host, "add", "chain", "inet", "spk", "input", "{ type filter hook input priority 0 ; policy accept ; }");
    nft(host, "add", "rule", "inet", "spk", "input", "tcp", "dport", Integer.toString(port), "numgen", "random", "mod",
        "1000", "<", Integer.toString((int) Math.round(lossPercent * 10)), "drop");
    return "nftables random drop " + lossPercent + "% (this kernel has no sch_netem: " + netem.output.strip() + ")";
  }

  /** Drops every packet to the host's worker port silently (a partition that sends no errors back). */
  void blackhole(Host host, int port) throws IOException, InterruptedException {
    clearImpairment(host);
    nft(host, "add", "table", "inet", "spk");
    nft(host, "add", "chain", "inet", "spk", "input", "{ type filter hook input priority 0 ; policy accept ; }");
    nft(host, "add", "rule", "inet", "spk", "input", "tcp", "dport", Integer.toString(port), "drop");
  }

  /** Removes netem and nftables impairments. */
  void clearImpairment(Host host) throws IOException, InterruptedException {
    run(List.of("tc", "qdisc", "del", "dev", host.hostInterface(), "root"));
    run(List.of("ip", "netns", "exec", host.namespace(), "nft", "delete", "table", "inet", "spk"));
  }

  private static void nft(Host host, String... args) throws IOException, InterruptedException {
    var command = new ArrayList<>(List.of("ip", "netns", "exec", host.namespace(), "nft"));
    command.addAll(List.of(args));
    must(command.toArray(String[]::new));
  }

  @Override
  public void close() throws IOException, InterruptedException {
    for (var host : hosts) {
      run(List.of("ip", "link", "del", host.hostInterface()));
      run(List.of("ip", "netns", "del", host.namespace()));
    }
    hosts.clear();
  }

  private static void must(String... command) throws IOException, InterruptedException {
    var result = run(List.of(command));
    if (result.exit != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + result.exit + "): " + result.output.strip());
    }
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command) throws IOException, InterruptedException {
    var process = new ProcessBuilder(command).redirectErrorStream(true).start();
    var output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(command + " did not finish within 30 s");
    }
    return new Result(process.exitValue(), output);
  }
}
