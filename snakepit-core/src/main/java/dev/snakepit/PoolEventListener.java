package dev.snakepit;

import java.time.Duration;

/**
 * Hears what a pool does: workers starting, becoming ready, crashing, being recycled and retired;
 * calls starting and finishing; the queue filling; the breaker opening and closing; telemetry that
 * Python tools emit. Register one with {@link SnakepitConfig.Builder#eventListener}.
 *
 * <p>Every method has a no-op default, so implement only what you need. Methods are called on pool
 * and transport threads, in the middle of the pool's work: they must be <b>fast and never throw</b>
 * (hand slow work to your own executor). An exception thrown by a listener is logged and dropped.
 */
public interface PoolEventListener {
  /** A listener that ignores everything. */
  PoolEventListener NONE = new PoolEventListener() {};

  /** A worker process was spawned. */
  default void workerStarted(WorkerStarted event) {}

  /** A worker answered Ping and takes calls. */
  default void workerReady(WorkerReady event) {}

  /** A worker died unexpectedly (or was killed for failing health checks). */
  default void workerCrashed(WorkerCrashed event) {}

  /** A worker is being replaced on purpose (call count, age, memory, stuck call). */
  default void workerRecycled(WorkerRecycled event) {}

  /** A worker was stopped (recycled, or the pool closed). */
  default void workerRetired(WorkerRetired event) {}

  /** A call was handed to a worker. */
  default void callStarted(CallStarted event) {}

  /** A call ended, successfully or not. */
  default void callFinished(CallFinished event) {}

  /** A call was rejected because the queue was full. */
  default void queueFull(QueueFull event) {}

  /** Worker starts kept failing: calls now fail fast. */
  default void breakerOpened(BreakerOpened event) {}

  /** A worker started again: calls are served again. */
  default void breakerClosed(BreakerClosed event) {}

  /** A Python tool emitted a telemetry event ({@code snakepit_bridge.telemetry.emit}). */
  default void telemetry(TelemetryEvent event) {}

  /** A Python tool called a host tool, and its handler returned or threw (called on the handler's thread). */
  default void hostToolCalled(HostToolCalled event) {}

  /** The pool started: every worker is ready and {@link Snakepit#start} is about to return it. */
  default void poolStarted(PoolStarted event) {}

  /** The pool closed: no worker, thread or file of it remains. */
  default void poolClosed(PoolClosed event) {}

  /**
   * @param workerId the worker's id
   * @param pid its OS process id
   */
  record WorkerStarted(String workerId, long pid) {}

  /**
   * @param workerId the worker's id
   * @param pid its OS process id
   * @param startupTime from spawn to answering Ping
   */
  record WorkerReady(String workerId, long pid, Duration startupTime) {}

  /**
   * @param workerId the worker's id
   * @param pid its OS process id
   * @param exitCode the process's exit value (128 + n for signal n)
   * @param unhealthy whether the pool killed it for failing health checks
   * @param stderrTail the last lines of its stderr
   */
  record WorkerCrashed(String workerId, long pid, int exitCode, boolean unhealthy, String stderrTail) {}

  /**
   * @param workerId the worker being replaced
   * @param reason why, in words
   * @param pythonStacks for a worker recycled because a cancelled or timed-out call kept running:
   *     the Python stacks of all its threads at that moment (faulthandler's dump), else null
   */
  record WorkerRecycled(String workerId, String reason, String pythonStacks) {
    /** A recycle without a stack dump. */
    public WorkerRecycled(String workerId, String reason) {
      this(workerId, reason, null);
    }
  }

  /**
   * @param workerId the worker's id
   * @param pid its OS process id
   * @param callsServed calls it completed
   */
  record WorkerRetired(String workerId, long pid, long callsServed) {}

  /**
   * @param tool the tool
   * @param workerId the worker running it
   * @param sessionId the session, or null
   * @param streaming whether it is a streaming call
   */
  record CallStarted(String tool, String workerId, String sessionId, boolean streaming) {}

  /**
   * @param tool the tool
   * @param workerId the worker that ran it, or null if it never reached one
   * @param sessionId the session, or null
   * @param duration from the call's start (queueing included) to its end
   * @param error the error code, or null on success
   * @param bytesIn payload bytes sent to Python
   * @param bytesOut payload bytes received from Python
   */
  record CallFinished(String tool, String workerId, String sessionId, Duration duration, ErrorCode error, long bytesIn,
      long bytesOut) {
    /** Whether the call succeeded. */
    public boolean succeeded() {
      return error == null;
    }
  }

  /**
   * @param tool the rejected call's tool
   * @param queued calls waiting when it was rejected
   * @param capacity the queue capacity
   */
  record QueueFull(String tool, int queued, int capacity) {}

  /**
   * @param failedStarts consecutive failed worker starts
   * @param lastFailure the last start failure's message (with the worker's stderr tail)
   */
  record BreakerOpened(int failedStarts, String lastFailure) {}

  /** @param workerId the worker whose start closed it */
  record BreakerClosed(String workerId) {}

  /**
   * @param workerId the worker that emitted it
   * @param name the event name, dot-separated parts
   * @param measurements numeric (or text) measurements
   * @param metadata string metadata
   * @param timestampNanos when it happened, Unix epoch nanoseconds
   * @param correlationId the call's correlation id, if any
   */
  record TelemetryEvent(String workerId, String name, java.util.Map<String, Object> measurements,
      java.util.Map<String, String> metadata, long timestampNanos, String correlationId) {}

  /**
   * @param tool the host tool
   * @param sessionId the Python caller's session, or null
   * @param workerId the worker that called it, or null when it did not say
   * @param duration how long the handler ran
   * @param errorType the class name of what the handler threw, or null on success
   */
  record HostToolCalled(String tool, String sessionId, String workerId, Duration duration, String errorType) {
    /** Whether the handler returned normally. */
    public boolean succeeded() {
      return errorType == null;
    }
  }

  /**
   * @param poolName the pool's name
   * @param snakepit the pool (e.g. to read {@link Snakepit#stats()} from a metrics gauge)
   */
  record PoolStarted(String poolName, Snakepit snakepit) {}

  /** @param poolName the pool's name */
  record PoolClosed(String poolName) {}
}
