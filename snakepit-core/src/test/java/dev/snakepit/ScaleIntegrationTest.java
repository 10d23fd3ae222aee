package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A pool of 128 workers starts on a small machine (this one has 2 cores) in both start modes:
 * start-up is bounded ({@code startupConcurrency}) and each worker's budget counts from its own start.
 */
@ExtendWith(LeakCheck.class)
class ScaleIntegrationTest {
  private static final int WORKERS = 128;

  @ParameterizedTest
  @EnumSource(value = StartMode.class, names = {"FORK", "SPAWN"})
  void aPoolOf128WorkersStartsAndServes(StartMode mode) {
    var config = TestPools.config().workers(WORKERS).startMode(mode).startupTimeout(Duration.ofSeconds(120))
        .callTimeout(Duration.ofSeconds(60)).build();
    try (var pit = Snakepit.start(config)) {
      assertThat(pit.stats().workers()).isEqualTo(WORKERS);
      assertThat(new HashSet<>(pit.workerPids())).hasSize(WORKERS);
      var calls = new CompletableFuture<?>[WORKERS];
      for (int i = 0; i < WORKERS; i++) {
        calls[i] = pit.executeAsync("echo", Map.of("message", "n" + i));
      }
      CompletableFuture.allOf(calls).join();
      assertThat(calls).allSatisfy(call -> assertThat(call).isCompleted());
    }
  }
}
