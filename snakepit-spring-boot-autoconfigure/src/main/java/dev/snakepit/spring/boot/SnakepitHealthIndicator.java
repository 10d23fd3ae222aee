package dev.snakepit.spring.boot;

import dev.snakepit.PoolStats;
import dev.snakepit.Snakepit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health contributor {@code snakepit}: UP when every pool has at least one ready worker and its
 * breaker is closed, else DOWN; the details carry each pool's counts. It is part of the readiness
 * group when Kubernetes-style probes are on (see {@link SnakepitEnvironmentPostProcessor}).
 */
public class SnakepitHealthIndicator implements HealthIndicator {
  private final ListableBeanFactory beans;

  /** An indicator over the pools of this bean factory. */
  public SnakepitHealthIndicator(ListableBeanFactory beans) {
    this.beans = beans;
  }

  @Override
  public Health health() {
    var pools = beans.getBeansOfType(Snakepit.class, false, false);
    boolean up = true;
    var details = new LinkedHashMap<String, Map<String, Object>>();
    for (var entry : pools.entrySet()) {
      var stats = entry.getValue().stats();
      up &= isUp(stats);
      details.put(entry.getKey(), describe(stats));
    }
    var builder = up ? Health.up() : Health.down();
    return (pools.size() == 1 ? builder.withDetails(details.values().iterator().next()) : builder.withDetails(details)).build();
  }

  static boolean isUp(PoolStats stats) {
    return stats.workers() >= 1 && !stats.breakerOpen();
  }

  private static Map<String, Object> describe(PoolStats stats) {
    var details = new LinkedHashMap<String, Object>();
    details.put("status", isUp(stats) ? "UP" : "DOWN");
    details.put("workers", stats.workers());
    details.put("starting", stats.starting());
    details.put("busy", stats.busy());
    details.put("queued", stats.queued());
    details.put("breakerOpen", stats.breakerOpen());
    details.put("completedCalls", stats.completedCalls());
    details.put("failedCalls", stats.failedCalls());
    details.put("restarts", stats.restarts());
    details.put("crashes", stats.crashes());
    details.put("sessions", stats.sessions());
    return details;
  }
}
