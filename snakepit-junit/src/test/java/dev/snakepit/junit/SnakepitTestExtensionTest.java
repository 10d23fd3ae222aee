package dev.snakepit.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The extension in use: one pool for the class, injected into parameters and fields, shared by nested classes. */
@SnakepitTest(workers = 2, poolName = "ext", configurers = SnakepitTestExtensionTest.Tagged.class)
class SnakepitTestExtensionTest {
  @SnakepitPool
  static Snakepit staticPool;

  @SnakepitPool
  Snakepit instancePool;

  /** A configurer: sets what the annotation has no attribute for. */
  static final class Tagged implements SnakepitTest.Configurer {
    @Override
    public void configure(SnakepitConfig.Builder builder) {
      builder.workerEnvironment("SNAKEPIT_TEST_TAG", "tagged").maxSessions(7);
    }
  }

  @Test
  void injectsTheClassPoolBuiltFromTheAnnotationIntoParametersAndFields(Snakepit pit) {
    assertThat(pit.execute("add", Map.of("a", 2, "b", 3)).asLong()).isEqualTo(5);
    assertThat(pit.workerIds()).hasSize(2).allSatisfy(id -> assertThat(id).startsWith("ext-w"));
    assertThat(pit.config().maxSessions()).isEqualTo(7);
    assertThat(pit.config().workerEnvironment()).containsEntry("SNAKEPIT_TEST_TAG", "tagged");
    assertThat(instancePool).isSameAs(pit);
    assertThat(staticPool).isSameAs(pit);
  }

  @Test
  void everyTestOfTheClassSharesThePool(Snakepit pit) {
    assertThat(pit).isSameAs(staticPool);
    assertThat(pit.stats().workers()).isEqualTo(2);
  }

  @Nested
  class NestedTests {
    @SnakepitPool
    Snakepit nestedPool;

    @Test
    void useTheEnclosingClassPool(Snakepit pit) {
      assertThat(pit).isSameAs(staticPool).isSameAs(nestedPool);
      assertThat(pit.execute("echo", Map.of("message", "hi")).asText()).isEqualTo("hi");
    }
  }
}
