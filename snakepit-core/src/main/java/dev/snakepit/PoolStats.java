package dev.snakepit;

/**
 * A snapshot of a pool's counts.
 *
 * @param workers workers that are ready to serve calls
 * @param starting workers being started (first start, restart after a crash, or recycling)
 * @param retiring workers no longer given calls: being recycled, or waiting for a stuck call to end
 * @param busy calls running on workers right now
 * @param queued calls waiting for a free worker
 * @param completedCalls calls that returned a result
 * @param failedCalls calls that ended in an error
 * @param restarts workers started to replace one that died
 * @param crashes workers that died unexpectedly (including those killed for failing health checks)
 * @param unhealthyKills workers killed because they stopped answering health checks
 * @param recycles workers replaced on purpose: call count, age, memory, or a stuck call
 * @param breakerOpen whether calls fail fast because recent worker starts all failed
 * @param sessions sessions alive
 * @param sharedMemoryFallbacks large bytes arguments and results that travelled inside messages because
 *     their shared-memory hand-off failed ({@code /dev/shm} full or gone): slower, still correct
 */
public record PoolStats(int workers, int starting, int retiring, int busy, int queued, long completedCalls,
    long failedCalls, long restarts, long crashes, long unhealthyKills, long recycles, boolean breakerOpen,
    int sessions, long sharedMemoryFallbacks) {}
