package dev.snakepit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RedisSessionDirectoryTest {
  private static RedisServerProcess server;
  private final List<RedisSessionDirectory> opened = new ArrayList<>();

  @BeforeAll
  static void startRedis() throws Exception {
    server = RedisServerProcess.start();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void flush() throws Exception {
    assertThat(server.command("FLUSHALL")).isEqualTo("+OK");
  }

  @AfterEach
  void closeDirectories() {
    opened.forEach(RedisSessionDirectory::close);
  }

  private RedisSessionDirectory replica(Duration ttl) {
    var directory = RedisSessionDirectory.builder(server.uri()).ttl(ttl).build();
    opened.add(directory);
    return directory;
  }

  private static WorkerRef worker(int n) {
    return new WorkerRef("10.0.0." + n + ":50051", "inc-" + n);
  }

  @Test
  void shouldGiveTheFirstBindingToEveryReplica() {
    var a = replica(Duration.ofMinutes(1));
    var b = replica(Duration.ofMinutes(1));

    var first = a.bindIfAbsent("s1", worker(1));
    var second = b.bindIfAbsent("s1", worker(2));

    assertThat(first.created()).isTrue();
    assertThat(second.created()).isFalse();
    assertThat(second.worker()).isEqualTo(worker(1));
    assertThat(second.fencingToken()).isEqualTo(first.fencingToken());
    assertThat(b.lookup("s1")).hasValueSatisfying(binding -> assertThat(binding.worker()).isEqualTo(worker(1)));
  }

  @Test
  void shouldNeverBindOneSessionToTwoWorkersWhenReplicasRace() throws Exception {
    var replicas = List.of(replica(Duration.ofMinutes(1)), replica(Duration.ofMinutes(1)));
    int racers = 16;
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      for (int round = 0; round < 20; round++) {
        String session = "race-" + round;
        var start = new CountDownLatch(1);
        var futures = new ArrayList<Future<SessionBinding>>();
        for (int i = 0; i < racers; i++) {
          var directory = replicas.get(i % 2);
          var candidate = worker(i + 1);
          futures.add(pool.submit(() -> {
            start.await();
            return directory.bindIfAbsent(session, candidate);
          }));
        }
        start.countDown();
        Set<WorkerRef> seen = ConcurrentHashMap.newKeySet();
        int created = 0;
        for (var future : futures) {
          var binding = future.get(30, TimeUnit.SECONDS);
          seen.add(binding.worker());
          created += binding.created() ? 1 : 0;
        }
        assertThat(seen).as("workers bound to %s", session).hasSize(1);
        assertThat(created).as("bindings created for %s", session).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void shouldLetOnlyOneReplicaRebindAfterTheWorkerIsLost() {
    var a = replica(Duration.ofMinutes(1));
    var b = replica(Duration.ofMinutes(1));
    var original = a.bindIfAbsent("s1", worker(1));

    var moved = a.rebind("s1", original.fencingToken(), worker(2));

    assertThat(moved.worker()).isEqualTo(worker(2));
    assertThat(moved.fencingToken()).isGreaterThan(original.fencingToken());
    assertThatThrownBy(() -> b.rebind("s1", original.fencingToken(), worker(3)))
        .isInstanceOfSatisfying(FencingConflictException.class, e -> {
          assertThat(e.current().worker()).isEqualTo(worker(2));
          assertThat(e.current().fencingToken()).isEqualTo(moved.fencingToken());
        })
        .hasMessageContaining("stale")
        .hasMessageContaining(worker(2).endpoint());
    assertThat(b.lookup("s1").orElseThrow().worker()).isEqualTo(worker(2));
  }

  @Test
  void shouldRefuseTouchAndReleaseWithAStaleToken() {
    var a = replica(Duration.ofMinutes(1));
    var original = a.bindIfAbsent("s1", worker(1));
    var moved = a.rebind("s1", original.fencingToken(), worker(2));

    assertThat(a.touch("s1", original.fencingToken())).isFalse();
    assertThat(a.release("s1", original.fencingToken())).isFalse();
    assertThat(a.lookup("s1")).isPresent();

    assertThat(a.touch("s1", moved.fencingToken())).isTrue();
    assertThat(a.release("s1", moved.fencingToken())).isTrue();
    assertThat(a.lookup("s1")).isEmpty();
    assertThat(a.touch("s1", moved.fencingToken())).isFalse();
  }

  @Test
  void shouldForgetABindingNobodyUsesWithinTheTtl() throws Exception {
    var a = replica(Duration.ofMillis(300));
    var first = a.bindIfAbsent("s1", worker(1));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (a.lookup("s1").isPresent() && System.nanoTime() - deadline < 0) {
      Thread.sleep(50); // Redis expires the key on its own clock; poll with a bound
    }
    assertThat(a.lookup("s1")).isEmpty();

    var again = a.bindIfAbsent("s1", worker(2));
    assertThat(again.created()).isTrue();
    assertThat(again.worker()).isEqualTo(worker(2));
    assertThat(again.fencingToken()).as("tokens only grow, even across expiry").isGreaterThan(first.fencingToken());
    assertThat(a.touch("s1", first.fencingToken())).isFalse();
  }

  @Test
  void shouldRenewTheTtlOnEveryBindAndTouch() throws Exception {
    var a = replica(Duration.ofMinutes(1));
    a.bindIfAbsent("s1", worker(1));
    assertThat(server.command("PEXPIRE snakepit:session:s1 5000")).isEqualTo(":1");

    a.bindIfAbsent("s1", worker(2));

    long pttl = Long.parseLong(server.command("PTTL snakepit:session:s1").substring(1));
    assertThat(pttl).isGreaterThan(5_000);
  }

  @Test
  void shouldKeepApplicationsApartByPrefix() {
    var a = RedisSessionDirectory.builder(server.uri()).keyPrefix("app-a:").build();
    opened.add(a);
    var b = RedisSessionDirectory.builder(server.uri()).keyPrefix("app-b:").build();
    opened.add(b);

    a.bindIfAbsent("s1", worker(1));

    assertThat(b.lookup("s1")).isEmpty();
    assertThat(b.bindIfAbsent("s1", worker(2)).created()).isTrue();
  }

  @Test
  void shouldSurviveAFlushedScriptCache() throws Exception {
    var a = replica(Duration.ofMinutes(1));
    assertThat(server.command("SCRIPT FLUSH")).isEqualTo("+OK");

    assertThat(a.bindIfAbsent("s1", worker(1)).created()).isTrue();
  }

  @Test
  void shouldFailTypedNamingRedisWhenItIsUnreachable() throws Exception {
    int port;
    try (var socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String uri = "redis://127.0.0.1:" + port;
    assertThatThrownBy(() -> RedisSessionDirectory.builder(uri).commandTimeout(Duration.ofMillis(500)).build())
        .isInstanceOf(SessionDirectoryException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("running and reachable");
  }

  @Test
  void shouldRejectBadSettingsShowingTheValue() {
    assertThatThrownBy(() -> RedisSessionDirectory.builder("http://x")).hasMessageContaining("'http://x'");
    assertThatThrownBy(() -> RedisSessionDirectory.builder(server.uri()).ttl(Duration.ZERO)).hasMessageContaining("PT0S");
    assertThatThrownBy(() -> new WorkerRef(" ", "i")).hasMessageContaining("endpoint");
  }
}
