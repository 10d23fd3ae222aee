package dev.snakepit.internal.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.RemoteWorkers.HostPort;
import dev.snakepit.internal.remote.RemoteMembership.Probe;
import dev.snakepit.internal.remote.RemoteMembership.RemoteWorker;
import dev.snakepit.internal.transport.TransportFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RemoteMembershipTest {
  private static final long MS = 1_000_000L;
  private static final HostPort A = new HostPort("10.0.0.1", 50051);
  private static final HostPort B = new HostPort("10.0.0.2", 50051);

  private long now = 1_000 * MS;
  private List<HostPort> answers = new ArrayList<>(List.of(A));
  private RuntimeException resolveFailure;
  private final Map<HostPort, List<CompletableFuture<Probe>>> probes = new LinkedHashMap<>();
  private final List<String> events = new ArrayList<>();
  private double jitter = 0.5;

  private RemoteMembership membership(boolean dns) {
    var m = new RemoteMembership("dns:///workers:50051", () -> {
      if (resolveFailure != null) {
        throw resolveFailure;
      }
      return List.copyOf(answers);
    }, dns, Duration.ofSeconds(10), (endpoint, timeout) -> {
      var future = new CompletableFuture<Probe>();
      probes.computeIfAbsent(endpoint, e -> new ArrayList<>()).add(future);
      return future;
    }, Duration.ofMillis(500), Duration.ofMillis(300), 2, () -> jitter, new RemoteMembership.Listener() {
      @Override
      public void up(RemoteWorker worker) {
        events.add("up " + worker.endpoint() + " " + worker.incarnation() + " x" + worker.capacity());
      }

      @Override
      public void down(RemoteWorker worker, String reason) {
        events.add("down " + worker.endpoint() + " " + worker.incarnation() + ": " + reason);
      }

      @Override
      public void rejected(HostPort endpoint, String detail) {
        events.add("rejected " + endpoint + ": " + detail);
      }
    });
    m.onProbeCompleted((endpoint, result, failure) -> m.onProbe(endpoint, result, failure, now));
    return m;
  }

  private CompletableFuture<Probe> lastProbe(HostPort endpoint) {
    var list = probes.get(endpoint);
    return list == null ? null : list.getLast();
  }

  private int probeCount(HostPort endpoint) {
    return probes.getOrDefault(endpoint, List.of()).size();
  }

  private void advance(long millis, RemoteMembership m) {
    now += millis * MS;
    m.tick(now);
  }

  @Test
  void shouldBringAWorkerUpWhenItFirstAnswers() {
    var m = membership(false);
    m.tick(now);
    lastProbe(A).complete(new Probe("inc-1", 4));

    assertThat(events).containsExactly("up 10.0.0.1:50051 inc-1 x4");
    assertThat(m.live()).extracting(RemoteWorker::id).containsExactly("remote-10.0.0.1:50051");
  }

  @Test
  void shouldTakeAWorkerOutOnlyAfterTheConfiguredFailuresInARow() {
    var m = membership(false);
    m.tick(now);
    lastProbe(A).complete(new Probe("inc-1", 1));

    advance(500, m);
    lastProbe(A).completeExceptionally(new RuntimeException("UNAVAILABLE: connection refused"));
    assertThat(m.live()).hasSize(1);

    advance(500, m);
    lastProbe(A).completeExceptionally(new RuntimeException("DEADLINE_EXCEEDED"));
    assertThat(m.live()).isEmpty();
    assertThat(events.getLast()).startsWith("down 10.0.0.1:50051 inc-1: 2 health checks failed in a row")
        .contains("timeout 300 ms").endsWith("last: DEADLINE_EXCEEDED");
  }

  @Test
  void shouldResetTheFailureCountWhenACheckSucceeds() {
    var m = membership(false);
    m.tick(now);
    lastProbe(A).complete(new Probe("inc-1", 1));
    for (int i = 0; i < 5; i++) {
      advance(500, m);
      lastProbe(A).completeExceptionally(new RuntimeException("blip"));
      advance(500, m);
      lastProbe(A).complete(new Probe("inc-1", 1));
    }
    assertThat(events).containsExactly("up 10.0.0.1:50051 inc-1 x1");
  }

  @Test
  void shouldRetryADownEndpointWithGrowingCappedBackoff() {
    var m = membership(false);
    jitter = 0.5; // no jitter: 0.8 + 0.4 * 0.5 = 1.0
    assertThat(m.backoff(1)).isEqualTo(500 * MS);
    assertThat(m.backoff(2)).isEqualTo(1_000 * MS);
    assertThat(m.backoff(4)).isEqualTo(4_000 * MS);
    assertThat(m.backoff(30)).isEqualTo(RemoteMembership.MAX_BACKOFF.toNanos());
    jitter = 0.0;
    assertThat(m.backoff(2)).isEqualTo(800 * MS);
    jitter = 0.999_999;
    assertThat(m.backoff(2)).isBetween(1_199 * MS, 1_200 * MS);
  }

  @Test
  void shouldNotProbeAgainBeforeTheBackoffHasPassed() {
    var m = membership(false);
    m.tick(now);
    lastProbe(A).completeExceptionally(new RuntimeException("refused"));
    lastProbe(A); // 1 probe so far
    advance(400, m);
    assertThat(probeCount(A)).isEqualTo(1);
    advance(100, m);
    assertThat(probeCount(A)).isEqualTo(2);
    lastProbe(A).completeExceptionally(new RuntimeException("refused"));
    advance(999, m);
    assertThat(probeCount(A)).isEqualTo(2);
    advance(1, m);
    assertThat(probeCount(A)).isEqualTo(3);
    lastProbe(A).complete(new Probe("inc-9", 2));
    assertThat(events).containsExactly("up 10.0.0.1:50051 inc-9 x2");
  }

  @Test
  void shouldReplaceAWorkerThatRestartedUnderTheSameEndpoint() {
    var m = membership(false);
    m.tick(now);
    lastProbe(A).complete(new Probe("inc-1", 1));
    advance(500, m);
    lastProbe(A).complete(new Probe("inc-2", 1));

    assertThat(events).containsExactly("up 10.0.0.1:50051 inc-1 x1",
        "down 10.0.0.1:50051 inc-1: restarted (incarnation inc-1 replaced by inc-2): its sessions' state is gone",
        "up 10.0.0.1:50051 inc-2 x1");
  }

  @Test
  void shouldPickUpNewDnsAnswersAndDropOldOnes() {
    var m = membership(true);
    m.tick(now);
    lastProbe(A).complete(new Probe("a", 1));

    answers = List.of(B);
    advance(10_000, m);
    assertThat(events.getLast()).isEqualTo("down 10.0.0.1:50051 a: no longer in the answers for dns:///workers:50051");
    lastProbe(B).complete(new Probe("b", 1));
    assertThat(events.getLast()).isEqualTo("up 10.0.0.2:50051 b x1");
    assertThat(m.endpoints()).containsExactly(B);
  }

  @Test
  void shouldKeepTheEndpointsWhenResolutionFails() {
    var m = membership(true);
    m.tick(now);
    lastProbe(A).complete(new Probe("a", 1));

    resolveFailure = new IllegalStateException("SERVFAIL");
    advance(10_000, m);

    assertThat(m.live()).hasSize(1);
    assertThat(m.lastResolveError()).contains("dns:///workers:50051").contains("SERVFAIL");
    resolveFailure = null;
    advance(10_000, m);
    assertThat(m.lastResolveError()).isNull();
  }

  @Test
  void shouldResolveAFixedListOnlyOnce() {
    int[] resolutions = {0};
    var m = new RemoteMembership("a:1", () -> {
      resolutions[0]++;
      return List.of(A);
    }, false, Duration.ofSeconds(1), (e, t) -> new CompletableFuture<>(), Duration.ofMillis(500),
        Duration.ofMillis(300), 2, () -> 0.5, new RemoteMembership.Listener() {
          @Override
          public void up(RemoteWorker worker) {}

          @Override
          public void down(RemoteWorker worker, String reason) {}
        });
    for (int i = 0; i < 5; i++) {
      m.tick(now + i * 5_000 * MS);
    }
    assertThat(resolutions[0]).isEqualTo(1);
  }

  @Test
  void shouldReportARejectedTokenAndKeepTheWorkerOut() {
    var m = membership(false);
    m.tick(now);
    lastProbe(A).completeExceptionally(new TransportFailure(TransportFailure.Kind.UNAUTHENTICATED, "UNAUTHENTICATED",
        "bad token", null));

    assertThat(events).containsExactly("rejected 10.0.0.1:50051: UNAUTHENTICATED bad token");
    assertThat(m.live()).isEmpty();
  }

  @Test
  void shouldProbeASuspectedWorkerAtOnce() {
    var m = membership(false);
    m.tick(now);
    lastProbe(A).complete(new Probe("a", 1));
    advance(100, m);
    assertThat(probeCount(A)).isEqualTo(1);

    m.suspect(A, now);
    m.tick(now);

    assertThat(probeCount(A)).isEqualTo(2);
  }

  @Test
  void shouldAskToRunAgainWhenTheNextProbeIsDue() {
    var m = membership(false);
    m.tick(now);
    lastProbe(A).complete(new Probe("a", 1));
    assertThat(m.tick(now)).isEqualTo(500 * MS);
    assertThat(m.tick(now + 200 * MS)).isEqualTo(300 * MS);
  }

  @Test
  void shouldStopReportingAfterClose() {
    var m = membership(false);
    m.tick(now);
    m.close();
    lastProbe(A).complete(new Probe("a", 1));
    assertThat(events).isEmpty();
    assertThat(m.tick(now)).isEqualTo(Long.MAX_VALUE);
  }
}
