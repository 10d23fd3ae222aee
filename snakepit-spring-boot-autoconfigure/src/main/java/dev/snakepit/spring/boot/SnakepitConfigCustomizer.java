package dev.snakepit.spring.boot;

import dev.snakepit.SnakepitConfig;

/**
 * A bean that adjusts every pool's config before it starts (after the {@code snakepit.*} properties
 * are applied), e.g. to add event listeners or interceptors.
 */
@FunctionalInterface
public interface SnakepitConfigCustomizer {
  /**
   * Adjusts one pool's config.
   *
   * @param poolName {@value SnakepitAutoConfiguration#DEFAULT_POOL} for the default pool, else the name under {@code snakepit.pools}
   * @param builder the config being built
   */
  void customize(String poolName, SnakepitConfig.Builder builder);
}
