package dev.snakepit.spring.boot;

import dev.snakepit.CallInterceptor;
import dev.snakepit.PoolEventListener;
import dev.snakepit.Snakepit;
import dev.snakepit.micrometer.SnakepitMetrics;
import dev.snakepit.otel.SnakepitTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Snakepit in a Spring Boot application: {@link Snakepit} pools from {@code snakepit.*}
 * ({@link SnakepitProperties}), closed by {@link SnakepitLifecycle} after the web server stops;
 * {@link HostToolMethod} beans registered as host tools; Micrometer metrics when a
 * {@code MeterRegistry} bean exists; OpenTelemetry tracing when an {@code OpenTelemetry} bean
 * exists; the {@code snakepit} health contributor when Actuator's health support is present.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration"})
@ConditionalOnClass(Snakepit.class)
@ConditionalOnBooleanProperty(name = "snakepit.enabled", matchIfMissing = true)
@EnableConfigurationProperties(SnakepitProperties.class)
@Import(SnakepitPoolRegistrar.class)
public class SnakepitAutoConfiguration {
  /** The name (and bean name) of the pool configured by the top-level {@code snakepit.*} properties. */
  public static final String DEFAULT_POOL = "snakepit";

  @Bean
  @ConditionalOnMissingBean
  SnakepitPoolFactory snakepitPoolFactory(SnakepitProperties properties, ObjectProvider<SnakepitConfigCustomizer> customizers,
      ObjectProvider<PoolEventListener> listeners, ObjectProvider<CallInterceptor> interceptors) {
    return new SnakepitPoolFactory(properties, customizers, listeners, interceptors);
  }

  @Bean
  static SnakepitLifecycle snakepitLifecycle(ListableBeanFactory beans) {
    return new SnakepitLifecycle(beans);
  }

  @Bean
  static HostToolMethodRegistrar snakepitHostToolMethodRegistrar(ConfigurableListableBeanFactory beanFactory) {
    return new HostToolMethodRegistrar(beanFactory);
  }

  /** Metrics of every pool, bound to the application's {@code MeterRegistry} when it has one. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({MeterRegistry.class, SnakepitMetrics.class})
  static class MetricsConfiguration {
    @Bean
    SnakepitConfigCustomizer snakepitMetricsCustomizer(ObjectProvider<MeterRegistry> registry) {
      return (poolName, builder) -> registry.ifAvailable(r -> builder.eventListener(SnakepitMetrics.of(r)));
    }
  }

  /** Spans around every call, from the application's {@code OpenTelemetry} when it has one. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({OpenTelemetry.class, SnakepitTracing.class})
  static class TracingConfiguration {
    @Bean
    SnakepitConfigCustomizer snakepitTracingCustomizer(ObjectProvider<OpenTelemetry> openTelemetry) {
      return (poolName, builder) -> openTelemetry.ifAvailable(o -> builder.callInterceptor(SnakepitTracing.create(o)));
    }
  }

  /** The {@code snakepit} health contributor. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @ConditionalOnEnabledHealthIndicator("snakepit")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "snakepitHealthIndicator")
    SnakepitHealthIndicator snakepitHealthIndicator(ListableBeanFactory beans) {
      return new SnakepitHealthIndicator(beans);
    }
  }
}
