package dev.snakepit.internal.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.Affinity;
import dev.snakepit.CallOptions;
import dev.snakepit.RemoteWorkers;
import dev.snakepit.SessionException;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartupFailedException;
import dev.snakepit.WorkerCrashedException;
import dev.snakepit.testsupport.Waiting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pool whose workers are remote: real standalone workers on loopback, through the public API. */
class RemotePoolIntegrationTest {
  @TempDir static Path pkiDirectory;
  @TempDir Path directory;
  private static TestPki pki;
  private final List<AutoCloseable> closeLast = new ArrayList<>();

  @BeforeAll
  static void certificates() throws Exception {
    pki = TestPki.create(pkiDirectory);
  }

  @AfterEach
  void close() throws Exception {
    for (var closeable : closeLast.reversed()) {
      closeable.close();
    }
  }

  private StandaloneWorker worker(String... flags) throws Exception {
    var all = new ArrayList<>(List.of("--token-file", pki.file("token").toString()));
    all.addAll(List.of(flags));
    var worker = StandaloneWorker.start(directory, List.of(), "127.0.0.1", 0, all.toArray(String[]::new));
    closeLast.add(worker);
    return worker;
  }

  private Snakepit pool(RemoteWorkers remote, int slots) {
    var pit = Snakepit.start(SnakepitConfig.builder().poolName("remote-test").workers(slots)
        .remoteWorkers(remote.healthCheck(Duration.ofMillis(500), Duration.ofSeconds(2), 3))
        .startupTimeout(Duration.ofSeconds(20)).callTimeout(Duration.ofSeconds(30)).build());
    closeLast.addFirst(pit);
    return pit;
  }

  @Test
  void shouldRunCallsStreamsAndBytesOnRemoteWorkersOverTls() throws Exception {
    var a = worker("--tls-cert", pki.file("server.crt").toString(), "--tls-key", pki.file("server.key").toString());
    var pit = pool(RemoteWorkers.endpoints("localhost:" + a.endpoint().port()).tokenFile(pki.file("token"))
        .tls(pki.file("ca.crt")), 2);

    assertThat(pit.execute("add", Map.of("a", 2, "b", 3)).as(Integer.class)).isEqualTo(5);
    var chunks = new ArrayList<String>();
    try (var stream = pit.stream("stream_progress", Map.of("steps", 3, "delay_ms", 1))) {
      stream.forEachRemaining(chunk -> chunks.add(chunk.text()));
    }
    assertThat(chunks).hasSizeGreaterThanOrEqualTo(3);
    var bytes = new byte[300_000];
    bytes[12_345] = 7;
    assertThat(pit.execute("echo_bytes", Map.of("data", bytes)).bytes()).isEqualTo(bytes);
  }

  @Test
  void shouldFailStartupNamingAuthenticationWhenTheTokenIsWrong() throws Exception {
    var a = worker();
    assertThatThrownBy(() -> pool(RemoteWorkers.endpoints(a.endpoint().toString()).tokenFile(pki.file("wrong-token")), 1))
        .isInstanceOf(StartupFailedException.class)
        .hasMessageContaining("authentication failed")
        .hasMessageContaining(a.endpoint().toString());
  }

  @Test
  void shouldFailInFlightCallsNamingTheLostEndpointAndRetryIdempotentCallsElsewhere() throws Exception {
    var a = worker();
    var b = worker();
    var pit = pool(RemoteWorkers.endpoints(a.endpoint().toString(), b.endpoint().toString())
        .tokenFile(pki.file("token")), 2);
    var plain = new ArrayList<CompletableFuture<?>>();
    var idempotent = new ArrayList<CompletableFuture<?>>();
    for (int i = 0; i < 2; i++) {
      plain.add(pit.executeAsync("sleep", Map.of("ms", 4000)));
    }
    Waiting.require("both remote workers busy", Duration.ofSeconds(20), () -> pit.stats().busy() == 2);
    for (int i = 0; i < 4; i++) {
      idempotent.add(pit.executeAsync("echo", Map.of("message", i), CallOptions.defaults().withIdempotent(true)));
    }

    a.kill();

    var failures = new ArrayList<Throwable>();
    for (var future : plain) {
      try {
        future.get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        failures.add(e.getCause());
      }
    }
    assertThat(failures).singleElement().isInstanceOf(WorkerCrashedException.class).asString()
        .contains(a.endpoint().toString());
    for (var future : idempotent) {
      assertThat(future.get(30, TimeUnit.SECONDS)).as("idempotent calls: none lost").isNotNull();
    }
    assertThat(pit.execute("add", Map.of("a", 1, "b", 1)).as(Integer.class)).isEqualTo(2);
  }

  @Test
  void shouldFailABoundSessionWithWorkerLostWhenItsRemoteWorkerGoes() throws Exception {
    var a = worker();
    var b = worker();
    var pit = pool(RemoteWorkers.endpoints(a.endpoint().toString(), b.endpoint().toString())
        .tokenFile(pki.file("token")), 2);
    try (var session = pit.session("remote-session", Affinity.STRICT_QUEUE)) {
      session.execute("session_counter", Map.of());
      assertThat(session.boundWorkerId()).isNotNull();
      // Both remote workers go: whichever held the session, its state is gone.
      a.kill();
      b.kill();
      Waiting.require("the session's worker lost", Duration.ofSeconds(20), () -> {
        try {
          session.execute("session_counter", Map.of());
          return false;
        } catch (SessionException e) {
          return e.reason() == SessionException.Reason.WORKER_LOST;
        } catch (RuntimeException e) {
          return false;
        }
      });
    }
  }
}
