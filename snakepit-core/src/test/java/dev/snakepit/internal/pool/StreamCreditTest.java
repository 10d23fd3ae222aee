package dev.snakepit.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamCreditTest {
  @Test
  void smallChunksOpenTheWindowAndCreditGoesBackInBatches() {
    var credit = new StreamCredit();
    int frames = 0;
    long granted = StreamCredit.INITIAL;
    for (int i = 0; i < 10_000; i++) {
      int grant = credit.consumed(32);
      if (grant > 0) {
        frames++;
        granted += grant;
      }
      assertThat(credit.outstanding()).isBetween(0, StreamCredit.MAX_WINDOW);
    }
    assertThat(credit.window()).isEqualTo(StreamCredit.MAX_WINDOW);
    // A credit frame per quarter window, not per chunk.
    assertThat(frames).isLessThan(10_000 / (StreamCredit.MAX_WINDOW / 4) + 5);
    assertThat(granted - 10_000).isEqualTo(credit.outstanding());
  }

  @Test
  void largeChunksKeepTheBufferedBytesBounded() {
    var credit = new StreamCredit();
    int megabyte = 1024 * 1024;
    for (int i = 0; i < 200; i++) {
      credit.consumed(megabyte);
      assertThat(credit.outstanding()).isLessThanOrEqualTo(StreamCredit.INITIAL);
    }
    assertThat(credit.window()).isEqualTo(4);
    assertThat((long) credit.outstanding() * megabyte).isLessThanOrEqualTo(StreamCredit.WINDOW_BYTES);
  }

  @Test
  void hugeChunksStillPipelineAFewAhead() {
    var credit = new StreamCredit();
    for (int i = 0; i < 100; i++) {
      credit.consumed(64 * 1024 * 1024);
    }
    assertThat(credit.window()).isEqualTo(StreamCredit.MIN_WINDOW);
    assertThat(credit.outstanding()).isBetween(1, StreamCredit.MIN_WINDOW);
  }
}
