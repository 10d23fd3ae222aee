package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void addsTwoNumbers() {
    try (var pit = Snakepit.start(SnakepitConfig.builder().workers(2).build())) {
      var result = pit.execute("add", Map.of("a", 2, "b", 2));
      System.out.println(result + " " + pit.tools().size() + " " + pit.stats());
      assertThat(result.asLong()).isEqualTo(4);
    }
  }
}
