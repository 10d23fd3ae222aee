package dev.snakepit.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

class SnakepitEnvironmentPostProcessorTest {
  private final SnakepitEnvironmentPostProcessor processor = new SnakepitEnvironmentPostProcessor();

  @Test
  void shouldAddTheHealthContributorToReadinessWhenProbesAreOn() {
    var environment = new MockEnvironment().withProperty("management.endpoint.health.probes.enabled", "true");
    processor.postProcessEnvironment(environment, new SpringApplication());
    assertThat(environment.getProperty(SnakepitEnvironmentPostProcessor.READINESS_INCLUDE)).isEqualTo("readinessState,snakepit");
  }

  @Test
  void shouldLeaveAnExplicitReadinessGroupAlone() {
    var environment = new MockEnvironment().withProperty("management.endpoint.health.probes.enabled", "true")
        .withProperty(SnakepitEnvironmentPostProcessor.READINESS_INCLUDE, "readinessState");
    processor.postProcessEnvironment(environment, new SpringApplication());
    assertThat(environment.getProperty(SnakepitEnvironmentPostProcessor.READINESS_INCLUDE)).isEqualTo("readinessState");
  }

  @Test
  void shouldNotTouchReadinessWhenProbesAreOff() {
    var environment = new MockEnvironment();
    processor.postProcessEnvironment(environment, new SpringApplication());
    assertThat(environment.containsProperty(SnakepitEnvironmentPostProcessor.READINESS_INCLUDE)).isFalse();
  }
}
