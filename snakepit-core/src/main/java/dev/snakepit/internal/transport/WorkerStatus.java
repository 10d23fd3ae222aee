package dev.snakepit.internal.transport;

/**
 * What a worker reports when pinged. A worker that does not report these (a Snakepit worker)
 * reports zeros.
 *
 * @param activeCalls tool calls whose RPC is still running
 * @param busyThreads tool threads still running, including those of cancelled calls whose sync tool has not returned
 */
public record WorkerStatus(int activeCalls, int busyThreads) {}
