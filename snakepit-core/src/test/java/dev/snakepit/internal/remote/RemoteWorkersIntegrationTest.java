package dev.snakepit.internal.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.RemoteWorkers;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.remote.RemoteMembership.RemoteWorker;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.grpc.RemoteChannels;
import dev.snakepit.testsupport.Waiting;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Remote channels and membership against real standalone Python workers on loopback. */
class RemoteWorkersIntegrationTest {
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
    var worker = StandaloneWorker.start(directory, List.of(), "127.0.0.1", 0, flags);
    closeLast.add(worker);
    return worker;
  }

  private RemoteChannels channels(RemoteWorkers config) {
    var channels = new RemoteChannels("test", config, 16 * 1024 * 1024, "test-host");
    closeLast.addFirst(channels);
    return channels;
  }

  private static ToolRequest echo(String json) {
    return new ToolRequest("echo", "", Map.of("message", json.getBytes(StandardCharsets.UTF_8)), Map.of(), Map.of());
  }

  @Test
  void shouldReadTheIncarnationAndCapacityOfAWorkerWithTheToken() throws Exception {
    var worker = worker("--token-file", pki.file("token").toString(), "--max-concurrency", "3");
    var channels = channels(RemoteWorkers.endpoints(worker.endpoint().toString()).tokenFile(pki.file("token")));

    var probe = channels.probe(worker.endpoint(), Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS);

    assertThat(probe.capacity()).isEqualTo(3);
    assertThat(probe.incarnation()).contains("-" + worker.process().pid() + "-");
  }

  @Test
  void shouldNameAuthenticationWhenTheTokenIsWrong() throws Exception {
    var worker = worker("--token-file", pki.file("token").toString());
    var channels = channels(RemoteWorkers.endpoints(worker.endpoint().toString()).tokenFile(pki.file("wrong-token")));

    assertThatThrownBy(() -> channels.probe(worker.endpoint(), Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(dev.snakepit.internal.transport.TransportFailure.class)
        .hasMessageContaining(worker.endpoint().toString())
        .hasMessageContaining("rejected the pool's token (");
  }

  @Test
  void shouldCallToolsOverMutualTls() throws Exception {
    var worker = worker("--token-file", pki.file("token").toString(), "--tls-cert", pki.file("server.crt").toString(),
        "--tls-key", pki.file("server.key").toString(), "--tls-client-ca", pki.file("ca.crt").toString());
    var config = RemoteWorkers.endpoints(worker.endpoint().toString()).tokenFile(pki.file("token"))
        .tls(pki.file("ca.crt")).clientCertificate(pki.file("client.crt"), pki.file("client.key"));
    var channels = channels(config);

    assertThat(channels.probe(worker.endpoint(), Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS).capacity())
        .isEqualTo(4);
    try (var transport = channels.connect(worker.endpoint(), "remote-test")) {
      var response = transport.execute(echo("{\"tls\":true}"), Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS);
      assertThat(response.success()).isTrue();
      assertThat(new String(response.resultJson(), StandardCharsets.UTF_8)).isEqualTo("{\"tls\":true}");
    }

    var withoutClientCertificate = channels(RemoteWorkers.endpoints(worker.endpoint().toString())
        .tokenFile(pki.file("token")).tls(pki.file("ca.crt")));
    assertThatThrownBy(() -> withoutClientCertificate.probe(worker.endpoint(), Duration.ofSeconds(3))
        .get(20, TimeUnit.SECONDS)).hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void shouldTakeAKilledWorkerOutAndBringTheOthersUp() throws Exception {
    var first = worker("--token-file", pki.file("token").toString());
    var second = worker("--token-file", pki.file("token").toString());
    var config = RemoteWorkers.endpoints(first.endpoint().toString(), second.endpoint().toString())
        .tokenFile(pki.file("token")).healthCheck(Duration.ofMillis(200), Duration.ofMillis(500), 2);
    var channels = channels(config);
    var up = new CopyOnWriteArrayList<RemoteWorker>();
    var down = new CopyOnWriteArrayList<String>();
    var membership = new RemoteMembership(config.toString(),
        () -> List.of(first.endpoint(), second.endpoint()), false, config.resolveInterval(), (endpoint, timeout) -> channels.probe(endpoint, timeout)
            .thenApply(answer -> new RemoteMembership.Probe(answer.incarnation(), answer.capacity())),
        config.healthCheckInterval(), config.healthCheckTimeout(), config.failuresBeforeDown(), Math::random,
        new RemoteMembership.Listener() {
          @Override
          public void up(RemoteWorker worker) {
            up.add(worker);
          }

          @Override
          public void down(RemoteWorker worker, String reason) {
            down.add(worker.endpoint() + ": " + reason);
          }
        });
    var driver = new RemoteMembershipDriver(membership, System::nanoTime, new NamedThreadFactory("test", "membership"));
    closeLast.addFirst(driver);

    // The listener hears of a change just after live() shows it (it runs outside the membership's lock).
    Waiting.require("both workers up", Duration.ofSeconds(30), () -> membership.live().size() == 2 && up.size() == 2);
    first.kill();
    Waiting.require("the killed worker taken out", Duration.ofSeconds(30),
        () -> membership.live().size() == 1 && !down.isEmpty());

    assertThat(membership.live()).extracting(RemoteWorker::endpoint).containsExactly(second.endpoint());
    assertThat(down).singleElement().asString().startsWith(first.endpoint() + ": 2 health checks failed in a row");
    assertThat(up).extracting(RemoteWorker::endpoint).containsExactlyInAnyOrder(first.endpoint(), second.endpoint());
  }
}
