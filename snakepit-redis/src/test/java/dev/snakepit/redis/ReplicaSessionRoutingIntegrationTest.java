package dev.snakepit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.Affinity;
import dev.snakepit.RemoteWorkers;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.internal.remote.StandaloneWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two pools ("JVM replicas") on the same two real standalone Python workers share a real
 * redis-server as their session directory: a session's calls reach the worker its first call was
 * bound to, whichever replica they go through.
 */
class ReplicaSessionRoutingIntegrationTest {
  @TempDir
  Path directory;

  private final List<AutoCloseable> closeLast = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (var closeable : closeLast.reversed()) {
      closeable.close();
    }
  }

  private <T extends AutoCloseable> T closedLast(T resource) {
    closeLast.add(resource);
    return resource;
  }

  private Snakepit replica(String name, RedisSessionDirectory sessions, StandaloneWorker... workers) {
    var endpoints = java.util.Arrays.stream(workers).map(w -> w.endpoint().toString()).toArray(String[]::new);
    return closedLast(Snakepit.start(SnakepitConfig.builder().poolName(name).workers(2).workerConcurrency(1)
        .remoteWorkers(RemoteWorkers.endpoints(endpoints).healthCheck(Duration.ofMillis(500), Duration.ofSeconds(2), 3))
        .sessionAffinity(Affinity.STRICT_QUEUE).sessionDirectory(sessions)
        .startupTimeout(Duration.ofSeconds(30)).callTimeout(Duration.ofSeconds(30)).build()));
  }

  private static String pidOf(Snakepit replica, String sessionId) {
    return replica.session(sessionId).execute("get_worker_info", Map.of()).asJson().get("worker_pid").asText();
  }

  @Test
  void aSessionsCallsReachTheSameWorkerThroughEitherReplica() throws Exception {
    var redis = closedLast(RedisServerProcess.start());
    var one = closedLast(StandaloneWorker.start(Files.createDirectories(directory.resolve("one")), List.of(), "127.0.0.1", 0));
    var two = closedLast(StandaloneWorker.start(Files.createDirectories(directory.resolve("two")), List.of(), "127.0.0.1", 0));
    var sessions = closedLast(RedisSessionDirectory.builder(redis.uri()).keyPrefix("replicas-test:").build());
    var replicaA = replica("replica-a", sessions, one, two);
    var replicaB = replica("replica-b", sessions, two, one);

    // Through A: "s1" is bound while its long call keeps its worker busy, so "s2" is bound to the other.
    var longCall = replicaA.session("s1").executeAsync("sleep_task", Map.of("duration_ms", 1500, "task_number", 1));
    replicaA.session("s2").execute("set_counter", Map.of("value", 42));
    longCall.get(30, TimeUnit.SECONDS);
    String s1OnA = pidOf(replicaA, "s1");
    String s2OnA = pidOf(replicaA, "s2");
    assertThat(s1OnA).as("the two sessions live on different workers").isNotEqualTo(s2OnA);
    assertThat(Long.parseLong(s1OnA)).isIn(one.process().pid(), two.process().pid());

    // Through B, which never saw them: left alone, B would send both to the same (least busy) worker.
    assertThat(pidOf(replicaB, "s1")).isEqualTo(s1OnA);
    assertThat(pidOf(replicaB, "s2")).isEqualTo(s2OnA);
    assertThat(replicaB.session("s2").execute("get_counter", Map.of()).asJson().get("value").asInt())
        .as("B reads the state A's call left in the worker").isEqualTo(42);
    var binding = sessions.lookup("s2").orElseThrow();
    assertThat(binding.worker().endpoint()).isIn(one.endpoint().toString(), two.endpoint().toString());

    replicaA.session("s2").close();
    assertThat(sessions.lookup("s2")).as("closing the session releases its binding").isEmpty();
    assertThat(sessions.lookup("s1")).isPresent();
  }
}
