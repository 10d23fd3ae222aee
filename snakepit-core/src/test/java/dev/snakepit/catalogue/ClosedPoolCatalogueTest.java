package dev.snakepit.catalogue;

import static dev.snakepit.catalogue.Catalogue.fails;

import dev.snakepit.CallOptions;
import dev.snakepit.PoolClosedException;
import dev.snakepit.Snakepit;
import dev.snakepit.testsupport.LeakCheck;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every way of calling a closed pool fails with {@link PoolClosedException}, at once and without leaks. */
@ExtendWith(LeakCheck.class)
class ClosedPoolCatalogueTest {
  private static Snakepit pit;
  private static dev.snakepit.Session session;

  @BeforeAll
  static void startAndClose() {
    pit = Snakepit.start(Catalogue.hostilePool().build());
    session = pit.session("catalogue-after-close");
    pit.close();
  }

  @AfterAll
  static void closeAgain() {
    pit.close(); // idempotent
  }

  @Test
  void syncCallAfterCloseIsRefused() {
    fails(() -> pit.execute("add", Map.of("a", 1, "b", 2)), PoolClosedException.class, "add", "closed");
  }

  @Test
  void asyncCallAfterCloseFailsItsFuture() {
    fails(() -> pit.executeAsync("add", Map.of("a", 1, "b", 2)).orTimeout(30, TimeUnit.SECONDS).join(),
        PoolClosedException.class, "add", "closed");
  }

  @Test
  void streamAfterCloseIsRefused() {
    fails(() -> pit.stream("fail_midway", Map.of()).close(), PoolClosedException.class, "closed");
  }

  @Test
  void callbackStreamAfterCloseFailsItsFuture() {
    fails(() -> pit.stream("fail_midway", Map.of(), CallOptions.defaults(), chunk -> {})
        .orTimeout(30, TimeUnit.SECONDS).join(), PoolClosedException.class, "closed");
  }

  @Test
  void sessionCallAfterCloseIsRefused() {
    fails(() -> session.execute("add", Map.of("a", 1, "b", 2)), PoolClosedException.class, "closed");
  }

  @Test
  void newSessionAfterCloseIsRefused() {
    fails(() -> pit.session("catalogue-new-after-close"), PoolClosedException.class, "closed");
  }
}
