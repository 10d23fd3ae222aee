package dev.snakepit.internal.transport.lane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AdaptiveSpin} against a fake {@link AdaptiveSpin.Poll} that counts its attempts: the budget
 * bounds the polling, what arrives is returned at once, a lane whose answers outlast the budget backs
 * off and tries again later, and at most one thread fewer than the cores polls at once.
 */
class AdaptiveSpinTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long SMALL_BUDGET = TimeUnit.MICROSECONDS.toNanos(200);

  @BeforeEach
  void needsASecondCore() {
    // One core: the JVM-wide cap (cores - 1) is 0, so nothing ever polls.
    Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "spinning needs more than one core");
  }

  /** A poll answering {@code answer.applyAsInt(attempt number, from 1)}. */
  private static final class CountingPoll implements AdaptiveSpin.Poll {
    private final IntUnaryOperator answer;
    int attempts;

    CountingPoll(IntUnaryOperator answer) {
      this.answer = answer;
    }

    static CountingPoll nothing() {
      return new CountingPoll(attempt -> 0);
    }

    @Override
    public int attempt() {
      return answer.applyAsInt(++attempts);
    }
  }

  @Test
  void aZeroBudgetNeverPolls() throws IOException {
    var spin = new AdaptiveSpin(0);
    var poll = new CountingPoll(attempt -> 7);

    assertThat(spin.await(poll, null)).isZero();
    assertThat(spin.await(poll, null)).isZero();
    assertThat(poll.attempts).isZero();
  }

  @Test
  void returnsWhatArrivesOnTheThirdAttemptAfterExactlyThreeAttempts() throws IOException {
    var spin = new AdaptiveSpin(SECOND);
    var poll = new CountingPoll(attempt -> attempt == 3 ? 42 : 0);

    assertThat(spin.await(poll, null)).isEqualTo(42);
    assertThat(poll.attempts).isEqualTo(3);
  }

  @Test
  void endOfStreamIsReturnedAtOnce() throws IOException {
    var spin = new AdaptiveSpin(SECOND);
    var poll = new CountingPoll(attempt -> -1);

    assertThat(spin.await(poll, null)).isEqualTo(-1);
    assertThat(poll.attempts).isEqualTo(1);
  }

  @Test
  void stopsAfterOneAttemptWhenTheCallIsAlreadyDone() throws IOException {
    var spin = new AdaptiveSpin(SECOND);
    var poll = CountingPoll.nothing();

    assertThat(spin.await(poll, CompletableFuture.completedFuture(null))).isZero();
    assertThat(poll.attempts).isEqualTo(1);
  }

  @Test
  void pollsForTheWholeBudgetWhenNothingComesThenBacksOffAndLaterPollsAgain() throws IOException {
    var spin = new AdaptiveSpin(SMALL_BUDGET);
    var poll = CountingPoll.nothing();

    long start = System.nanoTime();
    assertThat(spin.await(poll, null)).isZero();
    long spent = System.nanoTime() - start;
    assertThat(spent).isGreaterThanOrEqualTo(SMALL_BUDGET);
    assertThat(poll.attempts).isPositive();

    // Backing off: the next wait does not poll at all.
    int afterFailure = poll.attempts;
    assertThat(spin.await(poll, null)).isZero();
    assertThat(poll.attempts).isEqualTo(afterFailure);

    // ...but not for ever: it tries again now and then.
    int awaits = 0;
    while (poll.attempts == afterFailure && awaits < 200) {
      assertThat(spin.await(poll, null)).isZero();
      awaits++;
    }
    assertThat(poll.attempts).as("polled again within 200 waits").isGreaterThan(afterFailure);
  }

  @Test
  void eachSpinThatFindsNothingDoublesTheWaitsSkippedUpTo64() throws IOException {
    var spin = new AdaptiveSpin(SMALL_BUDGET);
    var poll = CountingPoll.nothing();
    var gaps = new java.util.ArrayList<Integer>();
    int skipped = 0;
    for (int i = 0; i < 400 && gaps.size() < 9; i++) {
      int before = poll.attempts;
      assertThat(spin.await(poll, null)).isZero();
      if (poll.attempts > before) {
        if (i > 0) {
          gaps.add(skipped);
        }
        skipped = 0;
      } else {
        skipped++;
      }
    }
    assertThat(gaps).startsWith(1, 2, 4, 8, 16, 32, 64, 64);
  }

  @Test
  void aLaneWhoseAnswersComeInTimeKeepsPolling() throws IOException {
    var spin = new AdaptiveSpin(SECOND);
    var poll = new CountingPoll(attempt -> 1);

    for (int i = 1; i <= 100; i++) {
      assertThat(spin.await(poll, null)).isEqualTo(1);
      assertThat(poll.attempts).isEqualTo(i);
    }
  }

  @Test
  void aFailingPollPropagatesAndGivesItsSpinnerSlotBack() throws IOException {
    int cores = Runtime.getRuntime().availableProcessors();
    // More failures than there are slots: a slot kept by a failed await would leave none for the last one.
    for (int i = 0; i < cores + 1; i++) {
      var spin = new AdaptiveSpin(SECOND);
      assertThatThrownBy(() -> spin.await(() -> {
        throw new IOException("reset by peer");
      }, null)).isInstanceOf(IOException.class).hasMessage("reset by peer");
    }

    var poll = new CountingPoll(attempt -> 5);
    assertThat(new AdaptiveSpin(SECOND).await(poll, null)).isEqualTo(5);
    assertThat(poll.attempts).isEqualTo(1);
  }

  @Test
  void noMoreThreadsPollAtOnceThanLeaveOneCoreFree() throws Exception {
    int slots = Runtime.getRuntime().availableProcessors() - 1;
    var polling = new CountDownLatch(slots);
    var release = new CountDownLatch(1);
    var failure = new AtomicReference<Throwable>();
    var spinners = new Thread[slots];
    for (int i = 0; i < slots; i++) {
      spinners[i] = Thread.ofPlatform().name("test-spinner-" + i).start(() -> {
        try {
          new AdaptiveSpin(SECOND).await(() -> {
            polling.countDown();
            try {
              // Holds its slot (inside an attempt) until the test has looked.
              return release.await(10, TimeUnit.SECONDS) ? 1 : -1;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return -1;
            }
          }, null);
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      });
    }
    try {
      assertThat(polling.await(10, TimeUnit.SECONDS)).as("every slot taken").isTrue();

      var poll = new CountingPoll(attempt -> 9);
      assertThat(new AdaptiveSpin(SECOND).await(poll, null)).isZero();
      assertThat(poll.attempts).as("no slot left: blocks without polling").isZero();
    } finally {
      release.countDown();
      for (Thread spinner : spinners) {
        spinner.join(TimeUnit.SECONDS.toMillis(10));
      }
    }
    assertThat(failure.get()).isNull();
    for (Thread spinner : spinners) {
      assertThat(spinner.isAlive()).isFalse();
    }

    // The slots are free again.
    var poll = new CountingPoll(attempt -> 9);
    assertThat(new AdaptiveSpin(SECOND).await(poll, null)).isEqualTo(9);
  }
}
