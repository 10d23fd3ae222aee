package dev.snakepit.internal.pool;

import dev.snakepit.internal.process.WorkerProcess;
import dev.snakepit.internal.transport.WorkerTransport;

/**
 * A worker as the pool sees it: one incarnation (slot + generation) of a process and its transport.
 * {@code inFlight} and {@code state} are guarded by the pool's lock.
 */
final class PooledWorker {
  enum State { READY, RETIRING, DEAD }

  final int slot;
  final int generation;
  final String id;
  final WorkerProcess process;
  final WorkerTransport transport;
  State state = State.READY;
  int inFlight;
  long completedCalls;

  PooledWorker(int slot, int generation, String id, WorkerProcess process, WorkerTransport transport) {
    this.slot = slot;
    this.generation = generation;
    this.id = id;
    this.process = process;
    this.transport = transport;
  }

  @Override
  public String toString() {
    return id + "[pid " + process.pid() + ", " + state + ", inFlight " + inFlight + "]";
  }
}
