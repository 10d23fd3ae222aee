package dev.snakepit;

/**
 * A snapshot of a pool's counts.
 *
 * @param workers workers that are ready to serve calls
 * @param starting workers being started or restarted
 * @param busy calls running on workers right now
 * @param queued calls waiting for a free worker
 * @param completedCalls calls that returned a result
 * @param failedCalls calls that ended in an error
 * @param restarts workers started to replace one that died
 * @param crashes workers that died unexpectedly
 */
public record PoolStats(int workers, int starting, int busy, int queued, long completedCalls, long failedCalls,
    long restarts, long crashes) {}
