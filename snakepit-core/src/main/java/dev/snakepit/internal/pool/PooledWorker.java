package dev.snakepit.internal.pool;

import dev.snakepit.internal.process.WorkerHandle;
import dev.snakepit.internal.transport.WorkerTransport;

/**
 * A worker as the pool sees it: one incarnation (slot + generation) of a process and its transport.
 * Mutable fields are guarded by the pool's lock.
 */
final class PooledWorker {
  /** Life of an incarnation. Only READY workers are given calls. */
  enum State {
    /** Serving calls. */
    READY,
    /** A call timed out on it; given no calls until it shows it is no longer busy with that call. */
    SUSPECT,
    /** Being replaced: finishes its calls, then stops. */
    RETIRING,
    /** The process has exited. */
    DEAD
  }

  final int slot;
  final int generation;
  final String id;
  final WorkerHandle process;
  final WorkerTransport transport;
  /** When age-based recycling is due (ticker nanoseconds), or Long.MAX_VALUE for never. */
  final long retireAtNanos;
  State state = State.READY;
  int inFlight;
  long completedCalls;
  /** The dispatcher's release count when this worker was last released: higher is hotter. */
  long lastReleased;
  /** When the dispatcher last gave this worker a call (ticker nanos). */
  long takenNanos;
  int missedPings;
  /** A replacement is being started for it. */
  boolean replacing;
  /** Killed by the pool because it stopped answering health checks. */
  boolean killedAsUnhealthy;

  PooledWorker(int slot, int generation, String id, WorkerHandle process, WorkerTransport transport, long retireAtNanos) {
    this.slot = slot;
    this.generation = generation;
    this.id = id;
    this.process = process;
    this.transport = transport;
    this.retireAtNanos = retireAtNanos;
  }

  @Override
  public String toString() {
    return id + "[pid " + process.pid() + ", " + state + ", inFlight " + inFlight + "]";
  }
}
