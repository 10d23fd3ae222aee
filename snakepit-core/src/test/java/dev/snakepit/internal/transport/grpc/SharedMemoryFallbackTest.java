package dev.snakepit.internal.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.snakepit.testing.CapturedStderr;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** A failed hand-off is counted every time and logged once per pool, in both directions. */
class SharedMemoryFallbackTest {
  @Test
  void everyFallbackIsCountedAndEachDirectionIsLoggedOnce() throws IOException {
    var shm = SharedMemory.create();
    assumeThat(shm).as("a usable /dev/shm").isNotNull();
    try (shm; var log = new CapturedStderr()) {
      for (int i = 0; i < 3; i++) {
        var slot = shm.acquire();
        // A directory where the file should be: the write fails as on a full /dev/shm.
        Files.createDirectory(slot.path);
        assertThatThrownBy(() -> shm.write(slot, ByteBuffer.allocate(SharedMemory.THRESHOLD)))
            .isInstanceOf(UncheckedIOException.class);
        shm.release(slot, false);
      }
      shm.resultFellBack("w1", 1 << 20);
      shm.resultFellBack("w1", 1 << 20);

      assertThat(shm.fallbacks()).isEqualTo(5);
      assertThat(log.text()).containsOnlyOnce("large arguments travel inside messages while it fails (logged once")
          .containsOnlyOnce("instead of through shared memory");
    }
  }
}
