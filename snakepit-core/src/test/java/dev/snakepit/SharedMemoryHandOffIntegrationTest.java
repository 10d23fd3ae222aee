package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Large bytes go through /dev/shm files (docs/worker-contract.md): same bytes, files reused, nothing left behind. */
@ExtendWith(LeakCheck.class)
class SharedMemoryHandOffIntegrationTest {
  private static final Path SHM = Path.of("/dev/shm");

  @BeforeEach
  void needsDevShm() {
    assumeThat(Files.isDirectory(SHM) && Files.isWritable(SHM)).as("/dev/shm available").isTrue();
  }

  private static byte[] randomBytes(int size, long seed) {
    var bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static long ourHandOffDirectories() throws IOException {
    try (Stream<Path> entries = Files.list(SHM)) {
      return entries.filter(p -> p.getFileName().toString().startsWith("snakepit.shm-" + ProcessHandle.current().pid() + "-")).count();
    }
  }

  private static long handOffFiles() throws IOException {
    try (Stream<Path> entries = Files.list(SHM)) {
      var dirs = entries.filter(p -> p.getFileName().toString().startsWith("snakepit.shm-" + ProcessHandle.current().pid() + "-")).toList();
      long files = 0;
      for (var dir : dirs) {
        try (Stream<Path> inside = Files.list(dir)) {
          files += inside.count();
        }
      }
      return files;
    }
  }

  @Test
  void largeArgumentsAndResultsArriveUnchangedWhateverTheirSize() {
    try (var pit = Snakepit.start(TestPools.config().workers(1).build())) {
      // Below, at and above the threshold; the second round reuses files longer than its payloads.
      for (int round = 0; round < 2; round++) {
        for (int size : new int[] {256 * 1024 - 1, 256 * 1024, 3 * 1024 * 1024 + 7, 300_001}) {
          var data = randomBytes(size, size + round);
          var result = pit.execute("echo_bytes", Map.of("data", data));
          assertThat(result.isBinary()).isTrue();
          assertThat(result.bytes()).as("%d bytes, round %d", size, round).isEqualTo(data);
        }
      }
    }
  }

  @Test
  void directBuffersAndSlicesHandOffOnlyTheirRemainingBytes() {
    try (var pit = Snakepit.start(TestPools.config().workers(1).build())) {
      var data = randomBytes(2 * 1024 * 1024, 7);
      var direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
      assertThat(pit.execute("echo_bytes", Map.of("data", direct)).bytes()).isEqualTo(data);
      var slice = ByteBuffer.wrap(data, 1000, 1024 * 1024);
      var expected = java.util.Arrays.copyOfRange(data, 1000, 1000 + 1024 * 1024);
      assertThat(pit.execute("echo_bytes", Map.of("data", slice)).bytes()).isEqualTo(expected);
    }
  }

  @Test
  void concurrentCallsNeverSeeEachOthersBytes() {
    try (var pit = Snakepit.start(TestPools.config().workers(2).workerConcurrency(4).build())) {
      var calls = new ArrayList<CompletableFuture<Void>>();
      for (int i = 0; i < 24; i++) {
        var data = randomBytes(512 * 1024 + i * 4096, i);
        calls.add(pit.executeAsync("echo_bytes", Map.of("data", data))
            .thenAccept(result -> assertThat(result.bytes()).isEqualTo(data)));
      }
      calls.forEach(CompletableFuture::join);
    }
  }

  @Test
  void aCancelledCallLeavesThePoolWorkingAndCloseRemovesTheDirectory() throws Exception {
    try (var pit = Snakepit.start(TestPools.config().workers(1).callTimeout(Duration.ofSeconds(20)).build())) {
      assertThat(ourHandOffDirectories()).isPositive();
      var slow = pit.executeAsync("sleep", Map.of("ms", 5000));
      slow.cancel(true);
      var data = randomBytes(1024 * 1024, 99);
      assertThat(pit.execute("echo_bytes", Map.of("data", data)).bytes()).isEqualTo(data);
      // The argument and the result went through files, kept for the next call.
      assertThat(handOffFiles()).isGreaterThanOrEqualTo(2);
    }
    assertThat(ourHandOffDirectories()).isZero();
  }

  @Test
  void mallocTuningIsOnByDefaultAndCanBeTurnedOff() {
    assertThat(SnakepitConfig.defaults().mallocEnvironment()).isEqualTo(SnakepitConfig.MALLOC_TUNING);
    assertThat(SnakepitConfig.builder().mallocTuning(false).build().mallocEnvironment()).isEmpty();
  }
}
