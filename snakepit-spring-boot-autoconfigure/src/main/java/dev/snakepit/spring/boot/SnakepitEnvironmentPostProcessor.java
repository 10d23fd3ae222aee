package dev.snakepit.spring.boot;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Adds the {@code snakepit} health contributor to the readiness group, as a default the
 * application's own {@code management.endpoint.health.group.readiness.include} overrides. Only when
 * the availability probes are on (the property, or Kubernetes/Cloud Foundry), since only then does
 * the group and its {@code readinessState} member exist.
 */
public class SnakepitEnvironmentPostProcessor implements EnvironmentPostProcessor {
  static final String READINESS_INCLUDE = "management.endpoint.health.group.readiness.include";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    if (!ClassUtils.isPresent("org.springframework.boot.health.contributor.HealthIndicator", getClass().getClassLoader())
        || !environment.getProperty("snakepit.enabled", Boolean.class, true)
        || environment.containsProperty(READINESS_INCLUDE)) {
      return;
    }
    var probes = environment.getProperty("management.endpoint.health.probes.enabled", Boolean.class);
    var platform = CloudPlatform.getActive(environment);
    boolean probesOn = probes != null ? probes
        : platform == CloudPlatform.KUBERNETES || platform == CloudPlatform.CLOUD_FOUNDRY;
    if (probesOn) {
      environment.getPropertySources().addLast(
          new MapPropertySource("snakepitReadiness", Map.of(READINESS_INCLUDE, "readinessState,snakepit")));
    }
  }
}
