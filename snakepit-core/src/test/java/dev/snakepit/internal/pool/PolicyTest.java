package dev.snakepit.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.transport.WorkerStatus;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Back-off, breaker, recycling and stuck-call decisions as pure functions of their inputs. */
class PolicyTest {
  private static final Duration SECOND = Duration.ofSeconds(1);

  // ---- Backoff ----

  @Test
  void theFirstAttemptDoesNotWait() {
    assertThat(new Backoff(Duration.ofMillis(100), SECOND, () -> 0.5).delay(0)).isZero();
  }

  @Test
  void backOffDoublesWithEachAttempt() {
    var backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(60), () -> 0.5);
    assertThat(backoff.delay(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(backoff.delay(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.delay(3)).isEqualTo(Duration.ofMillis(400));
    assertThat(backoff.delay(5)).isEqualTo(Duration.ofMillis(1600));
  }

  @Test
  void backOffIsCappedAtTheMaximumEvenForHugeAttemptCounts() {
    var backoff = new Backoff(Duration.ofMillis(100), SECOND, () -> 0.5);
    assertThat(backoff.delay(10)).isEqualTo(SECOND);
    assertThat(backoff.delay(10_000)).isEqualTo(SECOND);
  }

  @Test
  void jitterStaysWithinEightyToOneHundredTwentyPercent() {
    var low = new Backoff(Duration.ofMillis(1000), Duration.ofSeconds(60), () -> 0.0);
    var high = new Backoff(Duration.ofMillis(1000), Duration.ofSeconds(60), () -> 0.999_999);
    assertThat(low.delay(1)).isEqualTo(Duration.ofMillis(800));
    assertThat(high.delay(1)).isBetween(Duration.ofMillis(1199), Duration.ofMillis(1200));
  }

  // ---- StartupBreaker ----

  @Test
  void breakerStaysClosedBelowTheThreshold() {
    var breaker = new StartupBreaker(3);
    assertThat(breaker.failed(new RuntimeException("a"))).isEqualTo(StartupBreaker.Transition.NONE);
    assertThat(breaker.failed(new RuntimeException("b"))).isEqualTo(StartupBreaker.Transition.NONE);
    assertThat(breaker.isOpen()).isFalse();
  }

  @Test
  void breakerOpensOnceAtTheThresholdAndKeepsTheLastFailure() {
    var breaker = new StartupBreaker(2);
    breaker.failed(new RuntimeException("first"));
    var last = new StartupFailedException("w1", "adapter import failed", 3, "Traceback", null);
    assertThat(breaker.failed(last)).isEqualTo(StartupBreaker.Transition.OPENED);
    assertThat(breaker.failed(new RuntimeException("third"))).isEqualTo(StartupBreaker.Transition.NONE);
    assertThat(breaker.isOpen()).isTrue();
    assertThat(breaker.consecutiveFailures()).isEqualTo(3);
    assertThat(breaker.lastFailure().getMessage()).contains("third");
  }

  @Test
  void aSuccessfulStartClosesTheBreakerAndResetsTheCount() {
    var breaker = new StartupBreaker(1);
    breaker.failed(new RuntimeException("x"));
    assertThat(breaker.succeeded()).isEqualTo(StartupBreaker.Transition.CLOSED);
    assertThat(breaker.isOpen()).isFalse();
    assertThat(breaker.consecutiveFailures()).isZero();
    assertThat(breaker.succeeded()).isEqualTo(StartupBreaker.Transition.NONE);
  }

  // ---- RecyclePolicy ----

  @Test
  void noLimitsMeanNoRecycling() {
    var policy = new RecyclePolicy(0, null, 0, () -> 0.5);
    assertThat(policy.dueByCalls(1_000_000)).isNull();
    assertThat(policy.retireAt(0)).isEqualTo(Long.MAX_VALUE);
    assertThat(policy.dueByAgeOrMemory(Long.MAX_VALUE - 1, Long.MAX_VALUE, () -> Long.MAX_VALUE)).isNull();
  }

  @Test
  void recyclingByCountStartsAtTheLimit() {
    var policy = new RecyclePolicy(100, null, 0, () -> 0.5);
    assertThat(policy.dueByCalls(99)).isNull();
    assertThat(policy.dueByCalls(100)).contains("served 100 calls").contains("maxCallsPerWorker 100");
  }

  @Test
  void ageLimitGetsUpToTenPercentJitter() {
    long hour = Duration.ofHours(1).toNanos();
    assertThat(new RecyclePolicy(0, Duration.ofHours(1), 0, () -> 0.0).retireAt(5)).isEqualTo(5 + hour);
    assertThat(new RecyclePolicy(0, Duration.ofHours(1), 0, () -> 0.999_999).retireAt(5))
        .isBetween(5 + hour + hour / 10 - 1_000_000_000L, 5 + hour + hour / 10);
  }

  @Test
  void recyclingByAgeIsDueExactlyAtTheRetirementTime() {
    var policy = new RecyclePolicy(0, Duration.ofMinutes(5), 0, () -> 0.5);
    assertThat(policy.dueByAgeOrMemory(999, 1000, () -> 0)).isNull();
    assertThat(policy.dueByAgeOrMemory(1000, 1000, () -> 0)).contains("maxWorkerAge PT5M");
  }

  @Test
  void recyclingByMemoryOnlyAboveTheLimit() {
    long mib = 1024 * 1024;
    var policy = new RecyclePolicy(0, null, 100 * mib, () -> 0.5);
    assertThat(policy.dueByAgeOrMemory(0, Long.MAX_VALUE, () -> 100 * mib)).isNull();
    assertThat(policy.dueByAgeOrMemory(0, Long.MAX_VALUE, () -> 150 * mib))
        .isEqualTo("resident memory 150 MiB is over maxWorkerMemory 100 MiB");
  }

  @Test
  void memoryIsNotReadWithoutAMemoryLimit() {
    var read = new AtomicBoolean();
    new RecyclePolicy(0, null, 0, () -> 0.5).dueByAgeOrMemory(0, Long.MAX_VALUE, () -> {
      read.set(true);
      return 0;
    });
    assertThat(read).isFalse();
  }

  // ---- StuckCallMonitor decisions ----

  @Test
  void aWorkerRunningOnlyItsOwnCallsIsNotBusy() {
    assertThat(StuckCallMonitor.busy(new WorkerStatus(1, 1), null, 1)).isFalse();
    assertThat(StuckCallMonitor.busy(new WorkerStatus(0, 0), null, 0)).isFalse();
  }

  @Test
  void aWorkerWithMoreThreadsOrCallsThanGivenOrSilentIsBusy() {
    assertThat(StuckCallMonitor.busy(new WorkerStatus(0, 1), null, 0)).isTrue();
    assertThat(StuckCallMonitor.busy(new WorkerStatus(2, 0), null, 1)).isTrue();
    assertThat(StuckCallMonitor.busy(null, new RuntimeException("no answer"), 0)).isTrue();
  }

  @Test
  void stuckVerdictsFollowTheGrace() {
    assertThat(StuckCallMonitor.verdict(false, 5_000, 1_000)).isEqualTo(StuckCallMonitor.Verdict.IDLE);
    assertThat(StuckCallMonitor.verdict(true, 999, 1_000)).isEqualTo(StuckCallMonitor.Verdict.RECHECK);
    assertThat(StuckCallMonitor.verdict(true, 1_000, 1_000)).isEqualTo(StuckCallMonitor.Verdict.RECYCLE);
  }
}
