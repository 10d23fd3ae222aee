package dev.snakepit.internal.pool;

import dev.snakepit.internal.process.WorkerHandle;
import dev.snakepit.internal.transport.WorkerTransport;

/**
 * Brings one worker incarnation up to ready (spawned, announced, connected, answering Ping), and
 * forgets it once stopped. {@link ProcessWorkerStarter} starts real processes; unit tests start fakes.
 */
public interface WorkerStarter {
  /** A ready worker's process and connection. */
  record Started(WorkerHandle process, WorkerTransport transport) {}

  /** Lets the pool stop a process that is still starting when the pool closes. */
  interface Guard {
    /** The process exists; returns false when the pool is closing (the starter then stops it and fails). */
    boolean spawned(WorkerHandle process);

    /** The start finished (ready or failed). */
    void settled(WorkerHandle process);
  }

  /**
   * Starts the worker and waits until it is ready.
   *
   * @throws dev.snakepit.StartupFailedException when it exits or misses the start-up timeout
   * @throws dev.snakepit.PoolClosedException when the pool closed meanwhile
   */
  Started start(String workerId, Guard guard);

  /** Forgets a stopped worker (its registry entry, its registered tools). */
  void forget(String workerId);
}
