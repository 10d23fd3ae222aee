package dev.snakepit.internal.pool;

import dev.snakepit.internal.host.SessionStore;
import dev.snakepit.internal.time.Ticker;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's periodic task (HikariCP's {@code HouseKeeper}): expires idle sessions, recycles workers
 * by age and memory, and pings the others for health. Runs on the pool's scheduler; reads time from
 * the injected ticker, so tests run it by hand.
 */
final class HouseKeeper implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(HouseKeeper.class);

  /** What the house keeper acts on. */
  interface Pool {
    /** The workers serving calls now. */
    List<PooledWorker> readyWorkers();

    /** Replaces a worker on purpose. */
    void recycle(PooledWorker worker, String reason);

    /** Hears the outcome of a worker's health ping (error null when it answered). */
    void healthChecked(PooledWorker worker, Throwable error);
  }

  private final String poolName;
  private final Ticker ticker;
  private final SessionStore sessions;
  private final Duration sessionTtl;
  private final Duration pingTimeout;
  private final RecyclePolicy policy;
  private final Pool pool;

  HouseKeeper(String poolName, Ticker ticker, SessionStore sessions, Duration sessionTtl, Duration pingTimeout,
      RecyclePolicy policy, Pool pool) {
    this.poolName = poolName;
    this.ticker = ticker;
    this.sessions = sessions;
    this.sessionTtl = sessionTtl;
    this.pingTimeout = pingTimeout;
    this.policy = policy;
    this.pool = pool;
  }

  @Override
  public void run() {
    try {
      long now = ticker.read();
      var expired = sessions.expire(now, sessionTtl.toNanos());
      if (!expired.isEmpty()) {
        LOG.debug("Expired {} idle sessions of pool {}", expired.size(), poolName);
      }
      for (var worker : pool.readyWorkers()) {
        var reason = policy.dueByAgeOrMemory(now, worker.retireAtNanos, worker.process::residentMemory);
        if (reason != null) {
          pool.recycle(worker, reason);
          continue;
        }
        worker.transport.ping(pingTimeout).whenComplete((status, error) -> pool.healthChecked(worker, error));
      }
    } catch (RuntimeException e) {
      LOG.warn("House keeping of pool {} failed", poolName, e);
    }
  }
}
