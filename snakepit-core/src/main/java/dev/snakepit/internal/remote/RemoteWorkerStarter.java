package dev.snakepit.internal.remote;

import dev.snakepit.PoolClosedException;
import dev.snakepit.RemoteWorkers.HostPort;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.pool.WorkerStarter;
import dev.snakepit.internal.process.WorkerHandle;
import dev.snakepit.internal.remote.RemoteMembership.RemoteWorker;
import dev.snakepit.internal.transport.IncarnationCheckingTransport;
import dev.snakepit.internal.transport.WorkerTransport;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the pool's workers on remote (standalone) workers instead of child processes: each worker
 * slot is bound to a live remote worker that the {@link RemoteMembership} reports (the one with the
 * fewest slots, so slots spread over the workers), through a transport of its own. A slot's
 * {@link WorkerHandle} "exits" when the membership takes its remote worker out (checks failed,
 * restarted, left DNS): the pool then fails its in-flight calls as a crash naming the endpoint,
 * marks its sessions lost, retries idempotent calls elsewhere and restarts the slot on another live
 * worker, exactly as for a local process that died.
 */
public final class RemoteWorkerStarter implements WorkerStarter, RemoteMembership.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteWorkerStarter.class);

  /** Opens a transport to one remote worker. */
  @FunctionalInterface
  public interface Connector {
    /** Connects to {@code endpoint} for the pool worker {@code workerId}. */
    WorkerTransport connect(HostPort endpoint, String workerId);
  }

  private final String target;
  private final Connector connector;
  private final Duration startupTimeout;
  private final LongSupplier ticker;
  private final Object lock = new Object();
  private final Map<HostPort, RemoteWorker> live = new LinkedHashMap<>();
  private final Map<HostPort, Integer> slots = new HashMap<>();
  private final Map<HostPort, String> rejected = new LinkedHashMap<>();
  private final Map<String, RemoteHandle> handles = new ConcurrentHashMap<>();
  private volatile java.util.function.IntSupplier unchecked = () -> 0;

  /**
   * Creates the starter; register it as the membership's listener.
   *
   * @param target the target as configured (for messages)
   * @param connector opens transports
   * @param startupTimeout how long a slot waits for a live remote worker
   * @param ticker nanosecond time
   */
  public RemoteWorkerStarter(String target, Connector connector, Duration startupTimeout, LongSupplier ticker) {
    this.target = target;
    this.connector = connector;
    this.startupTimeout = startupTimeout;
    this.ticker = ticker;
  }

  /**
   * The membership this starter listens to: while some endpoints have not been checked yet, a slot
   * waits for them (briefly) rather than doubling up on a worker that already has one.
   */
  public void watching(RemoteMembership membership) {
    this.unchecked = membership::unchecked;
  }

  // --- membership events ----------------------------------------------------------------------

  @Override
  public void up(RemoteWorker worker) {
    LOG.info("Remote worker {} is up (incarnation {}, {} calls at once)", worker.endpoint(), worker.incarnation(),
        worker.capacity());
    synchronized (lock) {
      live.put(worker.endpoint(), worker);
      rejected.remove(worker.endpoint());
      lock.notifyAll();
    }
  }

  @Override
  public void down(RemoteWorker worker, String reason) {
    LOG.warn("Remote worker {} (incarnation {}) is out of the pool: {}", worker.endpoint(), worker.incarnation(), reason);
    synchronized (lock) {
      var current = live.get(worker.endpoint());
      if (current != null && current.incarnation().equals(worker.incarnation())) {
        live.remove(worker.endpoint());
      }
    }
    handles.values().stream().filter(h -> h.worker.equals(worker)).forEach(h -> h.lost(reason));
  }

  @Override
  public void rejected(HostPort endpoint, String detail) {
    LOG.error("Remote worker {} refused the pool: {}", endpoint, detail);
    synchronized (lock) {
      rejected.put(endpoint, detail);
      lock.notifyAll();
    }
  }

  // --- WorkerStarter --------------------------------------------------------------------------

  @Override
  public Started start(String workerId, Guard guard) {
    var worker = claim(workerId);
    var handle = new RemoteHandle(workerId, worker);
    if (!guard.spawned(handle)) {
      release(worker.endpoint());
      throw new PoolClosedException(null, "the pool closed while starting " + workerId);
    }
    try {
      handles.put(workerId, handle);
      var transport = connector.connect(worker.endpoint(), workerId);
      try {
        transport.ping(startupTimeout).get(startupTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException | InterruptedException e) {
        transport.close();
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        throw new StartupFailedException(workerId, "remote worker " + worker.endpoint() + " did not answer Ping: "
            + (e instanceof ExecutionException ? e.getCause() : e), null, null, e);
      }
      LOG.debug("Worker {} bound to remote worker {} (incarnation {})", workerId, worker.endpoint(),
          worker.incarnation());
      return new Started(handle, new IncarnationCheckingTransport(transport, worker.incarnation(), handle::lost));
    } catch (RuntimeException e) {
      handles.remove(workerId);
      release(worker.endpoint());
      throw e;
    } finally {
      guard.settled(handle);
    }
  }

  @Override
  public void forget(String workerId) {
    var handle = handles.remove(workerId);
    if (handle != null) {
      release(handle.worker.endpoint());
    }
  }

  /** Waits (bounded by the start-up timeout) for a live remote worker and takes a slot on it. */
  private RemoteWorker claim(String workerId) {
    long deadline = ticker.getAsLong() + startupTimeout.toNanos();
    synchronized (lock) {
      while (true) {
        var choice = live.values().stream()
            .min(Comparator.comparingInt((RemoteWorker w) -> slots.getOrDefault(w.endpoint(), 0)))
            .orElse(null);
        boolean spreadable = choice != null && slots.getOrDefault(choice.endpoint(), 0) > 0
            && unchecked.getAsInt() > 0 && ticker.getAsLong() - spreadUntil(deadline) < 0;
        if (choice != null && !spreadable) {
          slots.merge(choice.endpoint(), 1, Integer::sum);
          return choice;
        }
        if (!rejected.isEmpty()) {
          throw new StartupFailedException(workerId, "authentication failed: " + String.join("; ", rejected.values()),
              null, null, null);
        }
        long remaining = deadline - ticker.getAsLong();
        if (remaining <= 0) {
          throw new StartupFailedException(workerId, "no remote worker of " + target + " answered its health check within "
              + startupTimeout.toMillis() + " ms; check that the workers run and are reachable from here", null, null,
              null);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, remaining);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StartupFailedException(workerId, "interrupted while waiting for a remote worker", null, null, e);
        }
      }
    }
  }

  /** Until when a slot waits for unchecked endpoints instead of sharing a worker: a quarter of its budget. */
  private long spreadUntil(long deadline) {
    return deadline - startupTimeout.toNanos() * 3 / 4;
  }

  private void release(HostPort endpoint) {
    synchronized (lock) {
      slots.computeIfPresent(endpoint, (e, n) -> n <= 1 ? null : n - 1);
    }
  }

  /** A pool worker's view of its remote worker: "exits" when the remote worker is lost or the pool lets go. */
  static final class RemoteHandle implements WorkerHandle {
    /** Exit value reported when the remote worker was lost (no process of ours exited; the tail says why). */
    static final int LOST = -1;

    final String workerId;
    final RemoteWorker worker;
    private final java.util.concurrent.CompletableFuture<Integer> exit = new java.util.concurrent.CompletableFuture<>();
    private volatile String reason = "";

    RemoteHandle(String workerId, RemoteWorker worker) {
      this.workerId = workerId;
      this.worker = worker;
    }

    void lost(String why) {
      reason = "remote worker " + worker.endpoint() + " (incarnation " + worker.incarnation() + ") lost: " + why;
      exit.complete(LOST);
    }

    @Override
    public long pid() {
      return -1;
    }

    @Override
    public java.util.concurrent.CompletableFuture<Integer> onExit() {
      return exit;
    }

    @Override
    public void kill() {
      if (reason.isEmpty()) {
        reason = "remote worker " + worker.endpoint() + ": the pool let go of it (it keeps running there)";
      }
      exit.complete(LOST);
    }

    @Override
    public void stop(Duration grace) {
      // The remote process is not ours to stop: the pool closes the transport and lets go of it.
      exit.complete(0);
    }

    @Override
    public String stderrTail() {
      return reason;
    }

    @Override
    public long residentMemory() {
      return -1;
    }

    @Override
    public void awaitPumps() {}

    @Override
    public dev.snakepit.SessionDirectory.WorkerIncarnation remoteIncarnation() {
      return new dev.snakepit.SessionDirectory.WorkerIncarnation(worker.endpoint().toString(), worker.incarnation());
    }

    @Override
    public String toString() {
      return "remote " + worker.endpoint() + "#" + worker.incarnation();
    }
  }
}
