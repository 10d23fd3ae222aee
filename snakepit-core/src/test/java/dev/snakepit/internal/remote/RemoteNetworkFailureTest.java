package dev.snakepit.internal.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.RemoteWorkers;
import dev.snakepit.RemoteWorkers.HostPort;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.remote.RemoteMembership.RemoteWorker;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.WorkerTransport;
import dev.snakepit.internal.transport.grpc.RemoteChannels;
import dev.snakepit.testsupport.Waiting;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real network failures between the pool side and standalone workers in their own network
 * namespaces (veth pairs): a killed worker, a cut link, latency and loss, rotating DNS answers.
 * The listener plays the pool's part: a worker that goes down has its transport closed, which fails
 * its in-flight calls at once. Each figure printed here is quoted in docs/remote.md.
 */
class RemoteNetworkFailureTest {
  private static final Duration INTERVAL = Duration.ofMillis(200);
  private static final Duration TIMEOUT = Duration.ofMillis(500);
  private static final int FAILURES = 2;
  /** Generous bound for the assertions (the machine is shared); the measured figure is printed. */
  private static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir Path directory;
  private NetnsLab lab;
  private final List<AutoCloseable> closeLast = new ArrayList<>();
  private final Map<HostPort, WorkerTransport> transports = new ConcurrentHashMap<>();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private RemoteChannels channels;
  private RemoteMembership membership;

  @BeforeEach
  void lab() throws Exception {
    lab = NetnsLab.create();
    Files.writeString(directory.resolve("token"), "netns-test-token\n");
  }

  @AfterEach
  void close() throws Exception {
    for (var closeable : closeLast.reversed()) {
      closeable.close();
    }
    transports.values().forEach(WorkerTransport::close);
    if (channels != null) {
      channels.close();
    }
    lab.close();
  }

  private StandaloneWorker worker(NetnsLab.Host host) throws Exception {
    var worker = StandaloneWorker.start(directory, host.exec(), host.address(), 50051, "--token-file",
        directory.resolve("token").toString());
    closeLast.add(worker);
    return worker;
  }

  private void watch(RemoteMembership.Resolver resolver, boolean periodic) {
    var config = RemoteWorkers.endpoints("unused:1").tokenFile(directory.resolve("token"))
        .healthCheck(INTERVAL, TIMEOUT, FAILURES).resolveInterval(Duration.ofMillis(300));
    channels = new RemoteChannels("netns", config, 16 * 1024 * 1024, "netns-test-host");
    membership = new RemoteMembership("dns:///workers.test:50051", resolver, periodic, config.resolveInterval(),
        (endpoint, timeout) -> channels.probe(endpoint, timeout)
            .thenApply(answer -> new RemoteMembership.Probe(answer.incarnation(), answer.capacity())), INTERVAL, TIMEOUT, FAILURES, Math::random, new RemoteMembership.Listener() {
          @Override
          public void up(RemoteWorker worker) {
            events.add("up " + worker.endpoint());
            var old = transports.put(worker.endpoint(), channels.connect(worker.endpoint(), worker.id()));
            if (old != null) {
              old.close();
            }
          }

          @Override
          public void down(RemoteWorker worker, String reason) {
            events.add("down " + worker.endpoint() + ": " + reason);
            var transport = transports.remove(worker.endpoint());
            if (transport != null) {
              transport.close();
            }
          }
        });
    closeLast.addFirst(new RemoteMembershipDriver(membership, System::nanoTime,
        new NamedThreadFactory("netns", "membership")));
  }

  private boolean live(HostPort endpoint) {
    return membership.live().stream().anyMatch(w -> w.endpoint().equals(endpoint));
  }

  /** Up, and the listener (which runs after the membership changed) has connected it. */
  private boolean connected(HostPort endpoint) {
    return live(endpoint) && transports.containsKey(endpoint);
  }

  private static ToolRequest tool(String name, String argument, String json) {
    return new ToolRequest(name, "", Map.of(argument, json.getBytes(StandardCharsets.UTF_8)), Map.of(), Map.of());
  }

  private static long millisSince(long start) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  @Test
  void shouldTakeAKilledWorkerOutWithinTheHealthCheckBound() throws Exception {
    var a = worker(lab.add());
    var b = worker(lab.add());
    watch(() -> List.of(a.endpoint(), b.endpoint()), false);
    Waiting.require("both workers up", BOUND, () -> connected(a.endpoint()) && connected(b.endpoint()));
    var inFlight = transports.get(a.endpoint()).execute(tool("sleep", "ms", "10000"), Duration.ofSeconds(30));

    long start = System.nanoTime();
    a.kill();
    Waiting.require("the killed worker out", BOUND, () -> !live(a.endpoint()));
    long detected = millisSince(start);
    Waiting.require("its in-flight call failed", BOUND, inFlight::isDone);

    assertThat(inFlight).isCompletedExceptionally();
    assertThat(live(b.endpoint())).isTrue();
    System.out.printf("netns figure: kill -9 -> worker out after %d ms (bound %d ms)%n", detected,
        FAILURES * (INTERVAL.toMillis() + TIMEOUT.toMillis()));
  }

  @Test
  void shouldTakeAWorkerOutWhenItsLinkIsCutAndBackWhenRestored() throws Exception {
    var host = lab.add();
    var a = worker(host);
    watch(() -> List.of(a.endpoint()), false);
    Waiting.require("the worker up", BOUND, () -> connected(a.endpoint()));
    String incarnation = membership.live().getFirst().incarnation();
    var inFlight = transports.get(a.endpoint()).execute(tool("sleep", "ms", "10000"), Duration.ofSeconds(30));

    long start = System.nanoTime();
    lab.link(host, false);
    Waiting.require("the cut worker out", BOUND, () -> !live(a.endpoint()));
    long detected = millisSince(start);
    Waiting.require("its in-flight call failed", BOUND, inFlight::isDone);
    long failed = millisSince(start);
    assertThat(inFlight).isCompletedExceptionally();

    start = System.nanoTime();
    lab.link(host, true);
    Waiting.require("the worker back after the link is restored", Duration.ofSeconds(40),
        () -> connected(a.endpoint()));
    long back = millisSince(start);
    assertThat(membership.live().getFirst().incarnation()).as("the same process came back").isEqualTo(incarnation);
    var after = transports.get(a.endpoint()).execute(tool("echo", "message", "1"), Duration.ofSeconds(10))
        .get(20, TimeUnit.SECONDS);
    assertThat(after.success()).isTrue();
    System.out.printf("netns figure: link down -> worker out after %d ms, in-flight call failed after %d ms; "
        + "link up -> back after %d ms%n", detected, failed, back);
  }

  @Test
  void shouldKeepAWorkerUnderLatencyAndLossAndDropItWhenChecksTimeOut() throws Exception {
    var host = lab.add();
    var a = worker(host);
    watch(() -> List.of(a.endpoint()), false);
    Waiting.require("the worker up", BOUND, () -> connected(a.endpoint()));

    String impairment = lab.impair(host, 50, 2.0, a.endpoint().port());
    int calls = 40;
    var futures = new ArrayList<CompletableFuture<ToolResponse>>();
    for (int i = 0; i < calls; i++) {
      futures.add(transports.get(a.endpoint()).execute(tool("echo", "message", Integer.toString(i)),
          Duration.ofSeconds(30)));
    }
    int ok = 0;
    for (var future : futures) {
      ok += future.get(60, TimeUnit.SECONDS).success() ? 1 : 0;
    }
    assertThat(ok).as("calls over an impaired link (%s)", impairment).isEqualTo(calls);
    assertThat(events).as("no flapping (%s)", impairment).containsExactly("up " + a.endpoint());

    long start = System.nanoTime();
    lab.blackhole(host, a.endpoint().port());
    Waiting.require("the worker out once its checks time out (silent drops)", BOUND, () -> !live(a.endpoint()));
    long detected = millisSince(start);
    start = System.nanoTime();
    lab.clearImpairment(host);
    Waiting.require("the worker back once packets pass again", Duration.ofSeconds(40), () -> live(a.endpoint()));
    long back = millisSince(start);
    System.out.printf("netns figure: %d/%d calls ok with %s; silent drop of all packets -> out after %d ms, "
        + "back %d ms after it ends%n", ok, calls, impairment, detected, back);
  }

  @Test
  void shouldLoseNoIdempotentCallAndFailTheBoundSessionWhenALinkIsCutUnderLoad() throws Exception {
    var hostA = lab.add();
    var hostB = lab.add();
    var a = worker(hostA);
    var b = worker(hostB);
    var remote = RemoteWorkers.endpoints(a.endpoint().toString(), b.endpoint().toString())
        .tokenFile(directory.resolve("token")).healthCheck(INTERVAL, TIMEOUT, FAILURES);
    try (var pit = dev.snakepit.Snakepit.start(dev.snakepit.SnakepitConfig.builder().poolName("netns-pool").workers(2)
        .remoteWorkers(remote).startupTimeout(Duration.ofSeconds(20)).callTimeout(Duration.ofSeconds(30)).build());
        var session = pit.session("netns-session", dev.snakepit.Affinity.STRICT_QUEUE)) {
      var where = session.execute("session_counter", Map.of()).metadata().get("snakepit.worker_id");
      var cut = where.equals("standalone-" + a.endpoint().host()) ? hostA : hostB;

      int total = 200;
      var inFlight = new java.util.concurrent.Semaphore(4);
      var results = new ArrayList<CompletableFuture<dev.snakepit.ToolResult>>();
      long start = 0;
      for (int i = 0; i < total; i++) {
        inFlight.acquire();
        if (i == total / 4) {
          lab.link(cut, false);
          start = System.nanoTime();
        }
        var future = pit.executeAsync("echo", Map.of("message", i),
            dev.snakepit.CallOptions.defaults().withIdempotent(true));
        future.whenComplete((r, e) -> inFlight.release());
        results.add(future);
      }
      int ok = 0;
      var failures = new ArrayList<Throwable>();
      for (var future : results) {
        try {
          future.get(60, TimeUnit.SECONDS);
          ok++;
        } catch (java.util.concurrent.ExecutionException e) {
          failures.add(e.getCause());
        }
      }
      long elapsed = millisSince(start);
      assertThat(failures).as("idempotent calls lost").isEmpty();
      assertThat(ok).isEqualTo(total);
      Waiting.require("the session's lost worker reported", BOUND, () -> {
        try {
          session.execute("session_counter", Map.of());
          return false;
        } catch (dev.snakepit.SessionException e) {
          return e.reason() == dev.snakepit.SessionException.Reason.WORKER_LOST;
        }
      });
      System.out.printf("netns figure: link of the session's worker cut under load: %d/%d idempotent calls ok, "
          + "0 lost (last one %d ms after the cut); the session then fails with WORKER_LOST%n", ok, total, elapsed);
    }
  }

  @Test
  void shouldFollowRotatingDnsAnswers() throws Exception {
    var a = worker(lab.add());
    var b = worker(lab.add());
    var hosts = directory.resolve("hosts");
    Files.writeString(hosts, a.endpoint().host() + " workers.test\n");
    var target = new RemoteWorkers.Dns("workers.test", 50051);
    // The resolver the pool uses, with a lookup we control: a hosts-format file the test rewrites.
    var resolver = new TargetResolver(target, name -> Files.readAllLines(hosts).stream()
        .map(line -> line.split("\\s+"))
        .filter(parts -> parts.length == 2 && parts[1].equals(name))
        .map(parts -> {
          try {
            return InetAddress.getByName(parts[0]);
          } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
          }
        })
        .toArray(InetAddress[]::new));
    watch(resolver, true);
    Waiting.require("the first answer up", BOUND, () -> live(a.endpoint()));

    long start = System.nanoTime();
    Files.writeString(hosts, a.endpoint().host() + " workers.test\n" + b.endpoint().host() + " workers.test\n");
    Waiting.require("the added answer picked up", BOUND, () -> live(b.endpoint()));
    long added = millisSince(start);
    start = System.nanoTime();
    Files.writeString(hosts, b.endpoint().host() + " workers.test\n");
    Waiting.require("the removed answer dropped", BOUND, () -> !live(a.endpoint()));
    long removed = millisSince(start);

    assertThat(membership.live()).extracting(RemoteWorker::endpoint).containsExactly(b.endpoint());
    assertThat(events).contains("down " + a.endpoint() + ": no longer in the answers for dns:///workers.test:50051");
    System.out.printf("netns figure: DNS answer added -> worker up after %d ms, removed -> out after %d ms "
        + "(re-resolved every 300 ms)%n", added, removed);
  }
}
