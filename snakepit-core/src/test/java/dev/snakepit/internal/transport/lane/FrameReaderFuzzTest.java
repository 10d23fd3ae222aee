package dev.snakepit.internal.transport.lane;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzes the lane's frame decoder (seeds in {@code src/test/resources/fuzz/lane}, mutated, plus
 * random bytes): bad bytes end in a {@link LaneFrames.LaneProtocolException}, never another
 * exception, a hang or a frame longer than the limit.
 */
class FrameReaderFuzzTest {
  private static final String[] SEEDS = {"hello", "call_bytes", "ping_credit", "result_meta", "chunks", "pong_error"};
  private static final int MAX_LENGTH = 4096;

  @Property(tries = 3000)
  void decoderRejectsOrCutsAnyBytes(@ForAll("inputs") byte[] input) {
    var reader = new FrameReader(512, MAX_LENGTH);
    var bytes = ByteBuffer.wrap(input);
    var frames = new ArrayList<Integer>();
    try {
      for (int guard = 0; guard < 10_000; guard++) {
        if (reader.next((type, flags, id, payload) -> {
          assertThat(payload.remaining()).isLessThanOrEqualTo(MAX_LENGTH);
          frames.add(payload.remaining());
          if (type == LaneFrames.RESULT && (flags & LaneFrames.F_META) != 0 && payload.remaining() >= 4) {
            payload.getInt();
            try {
              LaneDecoding.readMeta(payload);
            } catch (LaneFrames.LaneProtocolException | IllegalStateException expected) {
              // a bad metadata block is rejected, not crashed on
            }
          }
        })) {
          continue;
        }
        if (!bytes.hasRemaining() || reader.feed(bytes) == 0) {
          break;
        }
      }
    } catch (LaneFrames.LaneProtocolException expected) {
      return;
    }
    assertThat(frames.size()).isLessThanOrEqualTo(input.length / LaneFrames.HEADER);
  }

  @Provide
  Arbitrary<byte[]> inputs() {
    var seeds = seeds();
    var random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    var mutated = Arbitraries.of(seeds).flatMap(seed -> Arbitraries.randomValue(r -> mutate(seed, r)));
    return Arbitraries.oneOf(random, mutated, mutated, Arbitraries.of(seeds));
  }

  private static List<byte[]> seeds() {
    var seeds = new ArrayList<byte[]>();
    for (var name : SEEDS) {
      try (InputStream in = FrameReaderFuzzTest.class.getResourceAsStream("/fuzz/lane/" + name)) {
        seeds.add(in.readAllBytes());
      } catch (IOException e) {
        throw new IllegalStateException("missing fuzz seed " + name, e);
      }
    }
    return seeds;
  }

  private static byte[] mutate(byte[] seed, Random r) {
    var data = seed.clone();
    int edits = 1 + r.nextInt(4);
    for (int i = 0; i < edits && data.length > 0; i++) {
      switch (r.nextInt(4)) {
        case 0 -> data[r.nextInt(data.length)] = (byte) r.nextInt(256);
        case 1 -> data = java.util.Arrays.copyOf(data, r.nextInt(data.length));
        case 2 -> {
          var longer = java.util.Arrays.copyOf(data, data.length * 2);
          System.arraycopy(data, 0, longer, data.length, data.length);
          data = longer;
        }
        default -> data[r.nextInt(data.length)] ^= (byte) (1 << r.nextInt(8));
      }
    }
    return data;
  }
}
