package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class BinaryIntegrationTest {
  private static final int SIXTEEN_MIB = 16 * 1024 * 1024;
  private static Snakepit pit;

  @BeforeAll
  static void startPool() {
    pit = Snakepit.start(TestPools.config().workers(1).build());
  }

  @AfterAll
  static void closePool() {
    pit.close();
  }

  private static byte[] randomBytes(int size) {
    var bytes = new byte[size];
    new Random(42).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void sixteenMebibytesRoundTripUnchanged() {
    var data = randomBytes(SIXTEEN_MIB);

    var result = pit.execute("echo_bytes", Map.of("data", data));

    assertThat(result.isBinary()).isTrue();
    assertThat(result.byteBuffer().remaining()).isEqualTo(SIXTEEN_MIB);
    assertThat(result.bytes()).isEqualTo(data);
  }

  @Test
  void pythonSeesExactlyTheBytesSent() throws Exception {
    var data = randomBytes(1_000_003);

    var result = pit.execute("process_binary", Map.of("data", data)).asMap();

    assertThat(result).containsEntry("size", 1_000_003).containsEntry("sha256", sha256(data));
  }

  @Test
  void byteBufferArgumentsSendOnlyTheirRemainingBytes() throws Exception {
    var data = randomBytes(100);
    var window = ByteBuffer.wrap(data, 10, 50);

    var result = pit.execute("process_binary", Map.of("data", window)).asMap();

    assertThat(result).containsEntry("size", 50);
    assertThat(result.get("sha256")).isEqualTo(sha256(java.util.Arrays.copyOfRange(data, 10, 60)));
  }

  @Test
  void binaryResultsComeBackAsBytes() {
    var result = pit.execute("generate_bytes", Map.of("size", 4096, "seed", 7));

    assertThat(result.bytes()).hasSize(4096);
    assertThat(pit.execute("generate_bytes", Map.of("size", 4096, "seed", 7)).bytes()).isEqualTo(result.bytes());
    assertThatThrownBy(result::asMap).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void emptyBytesRoundTrip() {
    assertThat(pit.execute("echo_bytes", Map.of("data", new byte[0])).bytes()).isEmpty();
  }

  @Test
  void payloadOverTheLimitIsRejectedBeforeItIsSent() {
    try (var small = Snakepit.start(TestPools.config().maxMessageSize(1024 * 1024).build())) {
      assertThatThrownBy(() -> small.execute("process_binary", Map.of("data", new byte[2 * 1024 * 1024])))
          .isInstanceOfSatisfying(PayloadTooLargeException.class, e -> {
            assertThat(e.limit()).isEqualTo(1024 * 1024);
            assertThat(e.getMessage()).contains("'data'", "maxMessageSize");
          });
      assertThat(small.stats().busy()).isZero();
    }
  }

  @Test
  void resultOverTheLimitFailsWithPayloadTooLarge() {
    try (var small = Snakepit.start(TestPools.config().maxMessageSize(1024 * 1024).build())) {
      assertThatThrownBy(() -> small.execute("generate_bytes", Map.of("size", 2 * 1024 * 1024)))
          .isInstanceOf(PayloadTooLargeException.class)
          .hasMessageContaining("1048576");
      assertThat(small.execute("add", Map.of("a", 1, "b", 1)).asLong()).isEqualTo(2);
    }
  }

  /**
   * Without the shared-memory hand-off (the worker declines it) a bytes argument travels inside
   * the message and counts once against maxMessageSize: 600 KiB fit a 1 MiB limit (the lane once
   * counted it twice and refused it).
   */
  @Test
  void aBytesArgumentInsideTheMessageCountsOnceAgainstTheLimit() throws Exception {
    var data = randomBytes(600 * 1024);
    try (var small = Snakepit.start(TestPools.config().poolName("inline").maxMessageSize(1 << 20)
        .workerEnvironment("SNAKEPIT_SHM_DIR", "").build())) {
      assertThat(small.execute("process_binary", Map.of("data", data)).asMap()).containsEntry("sha256", sha256(data));
      assertThat(small.stats().sharedMemoryFallbacks()).as("declined, not failed").isZero();
    }
  }
}
