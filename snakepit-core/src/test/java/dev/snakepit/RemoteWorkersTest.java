package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteWorkersTest {
  @TempDir Path directory;

  @Test
  void shouldParseAListOfEndpoints() {
    var remote = RemoteWorkers.parse("10.0.0.1:50051, worker-2:50052,[::1]:7");

    assertThat(remote.target()).isEqualTo(new RemoteWorkers.Endpoints(
        java.util.List.of("10.0.0.1:50051", "worker-2:50052", "[::1]:7")));
    assertThat(RemoteWorkers.splitHostPort("[::1]:7", "x")).isEqualTo(new RemoteWorkers.HostPort("::1", 7));
    assertThat(new RemoteWorkers.HostPort("::1", 7)).hasToString("[::1]:7");
    assertThat(remote.usesTls()).isFalse();
    assertThat(remote.token()).isEmpty();
  }

  @Test
  void shouldParseADnsTarget() {
    assertThat(RemoteWorkers.parse("dns:///workers.ml.svc.cluster.local:50051").target())
        .isEqualTo(new RemoteWorkers.Dns("workers.ml.svc.cluster.local", 50051));
    assertThat(RemoteWorkers.parse("dns:workers:1").target()).isEqualTo(new RemoteWorkers.Dns("workers", 1));
  }

  @Test
  void shouldRejectMalformedEndpointsShowingThem() {
    assertThatThrownBy(() -> RemoteWorkers.parse("host-without-port")).hasMessageContaining("'host-without-port'");
    assertThatThrownBy(() -> RemoteWorkers.parse("h:70000")).hasMessageContaining("'h:70000'");
    assertThatThrownBy(() -> RemoteWorkers.parse("dns:///name")).hasMessageContaining("'dns:///name'");
    assertThatThrownBy(() -> RemoteWorkers.parse(" , ")).hasMessageContaining("at least one HOST:PORT");
  }

  @Test
  void shouldReadTheTokenFileAndRejectAnEmptyOne() throws Exception {
    var token = Files.writeString(directory.resolve("token"), "  s3cret\n");
    var empty = Files.writeString(directory.resolve("empty"), "\n");

    assertThat(RemoteWorkers.parse("h:1").tokenFile(token).token()).contains("s3cret");
    assertThatThrownBy(() -> RemoteWorkers.parse("h:1").tokenFile(empty)).hasMessageContaining("is empty");
    assertThatThrownBy(() -> RemoteWorkers.parse("h:1").tokenFile(directory.resolve("missing")))
        .hasMessageContaining("cannot read token file");
  }

  @Test
  void shouldValidateHealthCheckSettings() {
    var remote = RemoteWorkers.parse("h:1").healthCheck(Duration.ofMillis(200), Duration.ofMillis(300), 3);
    assertThat(remote.healthCheckInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(remote.failuresBeforeDown()).isEqualTo(3);
    assertThatThrownBy(() -> remote.healthCheck(Duration.ZERO, Duration.ofMillis(1), 1)).hasMessageContaining("PT0S");
    assertThatThrownBy(() -> remote.healthCheck(Duration.ofMillis(1), Duration.ofMillis(1), 0))
        .hasMessageContaining("was 0");
  }

  @Test
  void shouldDescribeItselfWithoutTheToken() {
    var remote = RemoteWorkers.parse("h:1").token("s3cret").tls();
    assertThat(remote.toString()).isEqualTo("RemoteWorkers[h:1, TLS, token]").doesNotContain("s3cret");
  }
}
