package dev.snakepit.internal.assembly;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.SnakepitConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkerSpinWaitTest {
  private static SnakepitConfig pool(int workers) {
    return SnakepitConfig.builder().adapter("m.A").workers(workers).spinWait(Duration.ofNanos(250_000)).build();
  }

  @Test
  void workersPollWhenEachCanHaveACore() {
    assertThat(PoolAssembly.workerSpinWait(pool(1), 2)).isEqualTo(Duration.ofNanos(250_000));
    assertThat(PoolAssembly.workerSpinWait(pool(2), 2)).isEqualTo(Duration.ofNanos(250_000));
  }

  @Test
  void workersOfAnOvercommittedPoolNeverPoll() {
    assertThat(PoolAssembly.workerSpinWait(pool(3), 2)).isZero();
    assertThat(PoolAssembly.workerSpinWait(pool(128), 2)).isZero();
  }

  @Test
  void aZeroSpinWaitStaysZero() {
    var config = SnakepitConfig.builder().adapter("m.A").workers(1).spinWait(Duration.ZERO).build();
    assertThat(PoolAssembly.workerSpinWait(config, 8)).isZero();
  }
}
