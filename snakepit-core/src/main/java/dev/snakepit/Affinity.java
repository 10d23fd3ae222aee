package dev.snakepit;

/**
 * How a session's calls follow the worker its first call was bound to. Set per pool
 * ({@link SnakepitConfig.Builder#sessionAffinity}) or per call ({@link CallOptions#withAffinity}).
 */
public enum Affinity {
  /**
   * Prefer the bound worker; when it is busy use another, and when it is gone rebind to a new one.
   * For sessions whose Python-side state is only a cache.
   */
  HINT,
  /**
   * Always the bound worker: wait in the queue while it is busy. When it died or was recycled the
   * call fails with {@link SessionException.Reason#WORKER_LOST} instead of running on a fresh
   * process that lost the session's state.
   */
  STRICT_QUEUE,
  /**
   * Always the bound worker, and never wait: while it is busy the call fails at once with
   * {@link PoolSaturatedException.Reason#SESSION_WORKER_BUSY}. Worker loss as for {@link #STRICT_QUEUE}.
   */
  STRICT_FAIL_FAST
}
