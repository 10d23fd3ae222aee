package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnakepitConfigTest {

  @Test
  void defaultsUseTheShowcaseAdapterAndOurWorkerModule() {
    var config = SnakepitConfig.builder().python(Path.of("/usr/bin/python3")).build();

    assertThat(config.adapter()).isEqualTo(SnakepitConfig.SHOWCASE_ADAPTER);
    assertThat(config.baseCommand()).containsExactly("/usr/bin/python3", "-m", "snakepit_bridge.server",
        "--adapter", SnakepitConfig.SHOWCASE_ADAPTER);
    assertThat(config.queueTimeout()).isEqualTo(config.callTimeout());
  }

  @Test
  void autoPicksTheLaneForOurWorkerAlsoWithEventListenersAndGrpcForAWorkerScript() {
    var listened = SnakepitConfig.builder().eventListener(new PoolEventListener() {}).build();
    var script = SnakepitConfig.builder().workerScript(Path.of("pom.xml")).build();

    // Telemetry events travel on the lane too (docs/lane.md, "Telemetry"): listeners need no gRPC.
    assertThat(listened.effectiveTransport()).isEqualTo(Transport.LANE);
    assertThat(script.effectiveTransport()).isEqualTo(Transport.GRPC);
  }

  @Test
  void workerScriptReplacesTheModuleInTheCommand() {
    var config = SnakepitConfig.builder().python(Path.of("python3")).workerScript(Path.of("pom.xml")).build();

    assertThat(config.baseCommand()).containsSequence("python3", "pom.xml", "--adapter");
    assertThat(config.baseCommand()).doesNotContain("-m");
  }

  @Test
  void settersRejectBadValuesShowingTheValue() {
    var builder = SnakepitConfig.builder();
    assertThatThrownBy(() -> builder.workers(0)).hasMessageContaining("workers").hasMessageContaining("was 0");
    assertThatThrownBy(() -> builder.adapter("NoModule")).hasMessageContaining("'NoModule'");
    assertThatThrownBy(() -> builder.callTimeout(Duration.ZERO)).hasMessageContaining("callTimeout must be positive");
    assertThatThrownBy(() -> builder.queueCapacity(-1)).hasMessageContaining("was -1");
    assertThatThrownBy(() -> builder.maxMessageSize(10)).hasMessageContaining("was 10");
    assertThatThrownBy(() -> builder.poolName("has space")).hasMessageContaining("'has space'");
    assertThatThrownBy(() -> builder.workerEnvironment("1BAD", "x")).hasMessageContaining("'1BAD'");
    assertThatThrownBy(() -> builder.workingDirectory(Path.of("/nonexistent-dir"))).hasMessageContaining("/nonexistent-dir");
  }

  @Test
  void spinWaitDefaultsTo100MicrosecondsAndAcceptsZeroTo10Milliseconds() {
    assertThat(SnakepitConfig.builder().build().spinWait()).isEqualTo(Duration.ofNanos(100_000));
    assertThat(SnakepitConfig.builder().spinWait(Duration.ZERO).build().spinWait()).isEqualTo(Duration.ZERO);
    assertThat(SnakepitConfig.builder().spinWait(Duration.ofMillis(10)).build().spinWait()).isEqualTo(Duration.ofMillis(10));
    assertThat(SnakepitConfig.builder().spinWait(Duration.ofMillis(1)).build().toBuilder().build().spinWait())
        .isEqualTo(Duration.ofMillis(1));

    var builder = SnakepitConfig.builder();
    assertThatThrownBy(() -> builder.spinWait(Duration.ofMillis(10).plusNanos(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("spinWait").hasMessageContaining("PT0.010000001S");
    assertThatThrownBy(() -> builder.spinWait(Duration.ofNanos(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("spinWait").hasMessageContaining("PT-0.000000001S");
    assertThatThrownBy(() -> builder.spinWait(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("spinWait");
    assertThat(builder.build().spinWait()).as("rejected values leave the builder unchanged").isEqualTo(Duration.ofNanos(100_000));
  }

  @Test
  void buildChecksCrossFieldRules() {
    assertThatThrownBy(() -> SnakepitConfig.builder().callTimeout(Duration.ofSeconds(1)).queueTimeout(Duration.ofSeconds(2)).build())
        .hasMessageContaining("queueTimeout");
    assertThatThrownBy(() -> SnakepitConfig.builder().workerScript(Path.of("/nonexistent/grpc_server.py")).build())
        .hasMessageContaining("/nonexistent/grpc_server.py");
  }

  @Test
  void toBuilderDerivesAVariantWithoutChangingTheOriginal() {
    var original = SnakepitConfig.builder().workers(3).extraArguments(List.of("--flag")).build();

    var variant = original.toBuilder().workers(5).build();

    assertThat(original.workers()).isEqualTo(3);
    assertThat(variant.workers()).isEqualTo(5);
    assertThat(variant.extraArguments()).containsExactly("--flag");
    assertThat(variant.python()).isEqualTo(original.python());
  }

  @Test
  void callOptionsAreImmutableCopies() {
    var base = CallOptions.defaults();
    var derived = base.withTimeout(Duration.ofSeconds(1)).withMetadata("correlation_id", "abc").withIdempotent(true);

    assertThat(base.timeoutOverride()).isEmpty();
    assertThat(base.metadata()).isEmpty();
    assertThat(derived.metadata()).containsEntry("correlation_id", "abc");
    assertThat(derived.idempotent()).isTrue();
    assertThatThrownBy(() -> base.withTimeout(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
  }
}
