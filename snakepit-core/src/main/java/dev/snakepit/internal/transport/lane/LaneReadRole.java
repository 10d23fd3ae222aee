package dev.snakepit.internal.transport.lane;

import dev.snakepit.internal.transport.TransportFailure;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the lane by leader/follower: at most one thread holds the read role and dispatches every
 * frame that arrives. A caller that blocks for its answer ({@link #drive}) takes the role itself when
 * it is free, so a sync call is written and answered on the caller's thread with no hand-off. Calls
 * nobody waits on (async callers, streams, pings) are read by the lane's own reader thread, which
 * yields the role to a blocking caller that asks for it. Whoever reads also expires overdue calls.
 * A blocking caller that reads a host call leaves the role, runs the host call, then reads on
 * ({@link #deferToDriver}). Before a blocking caller blocks for its answer it polls the socket for a
 * bounded, adaptive time ({@link AdaptiveSpin}).
 */
final class LaneReadRole {
  private static final Logger LOG = LoggerFactory.getLogger(LaneReadRole.class);
  private static final int READ_BUFFER = 256 * 1024;
  private static final long MAX_SELECT_MS = 50;
  private static final long IDLE_PARK_MS = 1000;

  private final LaneSocket socket;
  private final LaneCallTable table;
  private final LaneWriter writer;
  private final FrameReader.FrameSink dispatch;
  private final String workerId;
  private final FrameReader reader;
  private final AdaptiveSpin spin;
  private final AdaptiveSpin.Poll poll;
  private final ReentrantLock readLock = new ReentrantLock();
  private final Thread backgroundReader;
  private volatile Thread leader;
  private volatile boolean driverWaiting;
  /** Work the leading caller runs once it has left the read role (touched by the leader only). */
  private Runnable deferred;

  LaneReadRole(LaneSocket socket, LaneCallTable table, LaneWriter writer, FrameReader.FrameSink dispatch,
      String workerId, int maxMessageSize, long spinNanos, String threadName) {
    this.socket = socket;
    this.table = table;
    this.writer = writer;
    this.dispatch = dispatch;
    this.workerId = workerId;
    this.reader = new FrameReader(READ_BUFFER, maxMessageSize + 64 * 1024);
    this.spin = new AdaptiveSpin(spinNanos);
    this.poll = () -> reader.read(socket.channel);
    this.backgroundReader = Thread.ofPlatform().daemon().name(threadName).unstarted(this::backgroundRead);
  }

  void start() {
    backgroundReader.start();
  }

  /** Reads frames on the calling thread until {@code until} is done or the deadline passes (see WorkerTransport). */
  void drive(Future<?> until, long deadlineNanos) {
    var me = Thread.currentThread();
    while (!until.isDone() && !socket.closed()) {
      long now = System.nanoTime();
      if (now - deadlineNanos >= 0) {
        expireOwn(me, now);
        return;
      }
      if (me.isInterrupted()) {
        return;
      }
      if (readLock.tryLock()) {
        Runnable task = null;
        try {
          try {
            leader = me;
            lead(until, deadlineNanos, false);
          } finally {
            task = deferred;
            deferred = null;
            leader = null;
            readLock.unlock();
            handOver();
          }
        } finally {
          if (task != null) {
            task.run();
          }
        }
      } else {
        driverWaiting = true;
        if (leader == backgroundReader) {
          socket.readSelector.wakeup();
        }
        LockSupport.parkNanos(this, Math.min(deadlineNanos - now, TimeUnit.MILLISECONDS.toNanos(MAX_SELECT_MS)));
      }
    }
  }

  /**
   * Called while dispatching a frame: when the reading thread is a blocking caller (not the lane's
   * reader thread) and no other caller waits on this lane, {@code task} runs on it right after it
   * leaves the read role, and this returns true; else false and the caller must run {@code task}
   * elsewhere. (With other callers waiting, the task might belong to one of their calls and would
   * hold this caller's answer back.) The reader thread takes over meanwhile if calls need it.
   */
  boolean deferToDriver(Runnable task) {
    var me = Thread.currentThread();
    if (me == backgroundReader || leader != me || deferred != null) {
      return false;
    }
    for (var pending : table.all()) {
      var waiter = pending.waiter();
      if (waiter != null && waiter != me) {
        return false;
      }
    }
    deferred = task;
    return true;
  }

  /** A call nobody drives was registered: make sure some thread reads for it. */
  void needReader() {
    if (leader == null) {
      LockSupport.unpark(backgroundReader);
    }
  }

  /** The lane closed: let the reader thread see it and end. */
  void wakeReader() {
    LockSupport.unpark(backgroundReader);
  }

  /** Waits up to {@code millis} for the reader thread to end. */
  void join(long millis) throws InterruptedException {
    backgroundReader.join(millis);
  }

  /** Reads and dispatches frames until {@code until} is done, the deadline passes, or (background) no longer needed. */
  private void lead(Future<?> until, long deadlineNanos, boolean background) {
    try {
      while (!socket.closed()) {
        while (reader.next(dispatch)) {
          if (deferred != null || (until != null && until.isDone())) {
            return;
          }
        }
        if (until != null && until.isDone()) {
          return;
        }
        if (background && (driverWaiting || (table.undriven() <= 0))) {
          return;
        }
        long now = System.nanoTime();
        long wake = Math.min(deadlineNanos, expireOverdue(now));
        if (wake - now <= 0) {
          return;
        }
        if (Thread.currentThread().isInterrupted()) {
          return;
        }
        int n = reader.read(socket.channel);
        if (n == 0 && !background) {
          n = spin.await(poll, until);
        }
        if (n < 0) {
          socket.close("the worker closed the lane (process exiting?)");
          return;
        }
        if (n == 0) {
          socket.readSelector.select(k -> {}, Math.max(1, TimeUnit.NANOSECONDS.toMillis(wake - now + 999_999)));
        }
      }
    } catch (LaneFrames.LaneProtocolException e) {
      LOG.warn("Closing the lane to worker {}: malformed frame: {}", workerId, e.getMessage());
      writer.sendGoaway("malformed frame: " + e.getMessage());
      socket.close("malformed frame from the worker: " + e.getMessage());
    } catch (ClosedChannelException e) {
      socket.close("the lane was closed");
    } catch (IOException e) {
      socket.close("read failed: " + e.getMessage());
    }
  }

  private void backgroundRead() {
    while (!socket.closed()) {
      if (table.undriven() > 0 && !driverWaiting && readLock.tryLock()) {
        try {
          leader = backgroundReader;
          lead(null, Long.MAX_VALUE, true);
        } finally {
          leader = null;
          readLock.unlock();
          handOver();
        }
        continue;
      }
      // needReader(), handOver() and wakeReader() unpark this thread when it is needed: the timeout
      // is only a safety net, long so that a pool of many idle workers does not wake constantly.
      LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(IDLE_PARK_MS));
    }
  }

  /** After leaving the read role: wake a caller waiting for it, or the reader thread if calls nobody waits on are pending. */
  private void handOver() {
    boolean wokeDriver = false;
    driverWaiting = false;
    for (var p : table.all()) {
      var waiter = p.waiter();
      if (waiter != null) {
        LockSupport.unpark(waiter);
        wokeDriver = true;
      }
    }
    if (!wokeDriver && table.undriven() > 0) {
      LockSupport.unpark(backgroundReader);
    }
  }

  /** Fails calls past their deadline; returns the earliest deadline still pending (bounded to MAX_SELECT_MS from now). */
  private long expireOverdue(long now) {
    long earliest = now + TimeUnit.MILLISECONDS.toNanos(MAX_SELECT_MS);
    for (var entry : table.entries()) {
      var p = entry.getValue();
      long deadline = p.deadline();
      if (deadline - now <= 0) {
        expire(entry.getKey(), p);
      } else if (deadline - earliest < 0) {
        earliest = deadline;
      }
    }
    return earliest;
  }

  private void expireOwn(Thread me, long now) {
    for (var entry : table.entries()) {
      var p = entry.getValue();
      if (p.waiter() == me && p.deadline() - now <= 0) {
        expire(entry.getKey(), p);
      }
    }
  }

  private void expire(int id, LanePending p) {
    if (!table.contains(id)) {
      return;
    }
    writer.sendCancel(id);
    // The pool turns this into a CallTimeoutException and suspects the worker until it shows it is idle.
    p.fail(new TransportFailure(TransportFailure.Kind.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED",
        "no answer from worker " + workerId + " within the call's deadline", null));
  }
}
