package dev.snakepit.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.Snakepit;
import dev.snakepit.junit.SnakepitLeakCheck;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.stereotype.Component;

/** The auto-configuration in real application contexts, with real workers (the repo's interpreter). */
@ExtendWith(SnakepitLeakCheck.class)
class SnakepitAutoConfigurationTest {
  private static final String PYTHON = Path.of(System.getProperty("snakepit.repoRoot", ".."), ".venv", "bin", "python")
      .toAbsolutePath().normalize().toString();

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(SnakepitAutoConfiguration.class))
      .withPropertyValues("snakepit.workers=1", "snakepit.python.interpreter=" + PYTHON, "snakepit.startup-timeout=30s");

  @Test
  void shouldStartTheDefaultPoolFromPropertiesAndCloseItWithTheContext() {
    var pids = new java.util.ArrayList<Long>();
    runner.run(context -> {
      var pit = context.getBean(Snakepit.class);
      assertThat(pit.config().poolName()).isEqualTo("snakepit");
      assertThat(pit.config().workers()).isEqualTo(1);
      assertThat(pit.execute("ping", Map.of()).asJson().path("message").asText()).isEqualTo("pong");
      pids.addAll(pit.workerPids());
      assertThat(context.getBean(SnakepitLifecycle.class).isRunning()).isTrue();
    });
    assertThat(pids).isNotEmpty().allSatisfy(pid ->
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("worker %d after close", pid).isFalse());
  }

  @Test
  void shouldCreateOneQualifiedBeanPerNamedPool() {
    runner.withPropertyValues("snakepit.pools.alpha.workers=1", "snakepit.pools.beta.workers=1")
        .withUserConfiguration(NeedsBeta.class)
        .run(context -> {
          assertThat(context).doesNotHaveBean("snakepit");
          assertThat(context.getBeansOfType(Snakepit.class)).containsOnlyKeys("alpha", "beta");
          assertThat(context.getBean(NeedsBeta.class).pool.config().poolName()).isEqualTo("beta");
        });
  }

  @Test
  void shouldRegisterHostToolMethodsOfBeansOnThePools() {
    runner.withUserConfiguration(Greeter.class).run(context -> {
      var pit = context.getBean(Snakepit.class);
      var answer = pit.session().execute("call_host", Map.of("tool", "greet", "arguments", Map.of("who", "Ada", "times", 2)));
      assertThat(answer.asJson().asText()).isEqualTo("Hello, Ada! Hello, Ada!");
    });
  }

  @Test
  void shouldReportHealthUpWithThePoolCounts() {
    runner.run(context -> {
      var health = context.getBean(SnakepitHealthIndicator.class).health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsEntry("workers", 1).containsEntry("breakerOpen", false);
    });
  }

  @Test
  void shouldBindMetricsWhenAMeterRegistryExists() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
      context.getBean(Snakepit.class).execute("ping", Map.of());
      var names = context.getBean(MeterRegistry.class).getMeters().stream().map(m -> m.getId().getName()).toList();
      assertThat(names).anyMatch(n -> n.startsWith("snakepit."));
    });
  }

  @Test
  void shouldCreateNoPoolWhenDisabled() {
    runner.withPropertyValues("snakepit.enabled=false").run(context -> assertThat(context).doesNotHaveBean(Snakepit.class));
  }

  @Configuration(proxyBeanMethods = false)
  static class NeedsBeta {
    final Snakepit pool;

    NeedsBeta(@Qualifier("beta") Snakepit pool) {
      this.pool = pool;
    }
  }

  @Component
  static class Greeter {
    @HostToolMethod(description = "Greets someone")
    String greet(String who, int times) {
      return String.join(" ", java.util.Collections.nCopies(times, "Hello, " + who + "!"));
    }
  }
}
