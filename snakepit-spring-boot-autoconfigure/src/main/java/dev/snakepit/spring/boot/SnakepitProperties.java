package dev.snakepit.spring.boot;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code snakepit.*}: the default pool (bean {@code snakepit}) and named pools
 * ({@code snakepit.pools.<name>.*}, one bean each, qualified by name).
 */
@ConfigurationProperties(prefix = "snakepit")
public class SnakepitProperties extends SnakepitPoolProperties {
  /** Whether Snakepit pools are created at all. */
  private boolean enabled = true;
  /** Named pools; each inherits the snakepit.* values it does not set. */
  private Map<String, SnakepitPoolProperties> pools = new LinkedHashMap<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Map<String, SnakepitPoolProperties> getPools() {
    return pools;
  }

  public void setPools(Map<String, SnakepitPoolProperties> pools) {
    this.pools = pools;
  }

  /** Whether the default pool exists: when no named pool is configured, or an adapter is set at the top level. */
  boolean hasDefaultPool() {
    return pools.isEmpty() || getAdapter() != null;
  }
}
