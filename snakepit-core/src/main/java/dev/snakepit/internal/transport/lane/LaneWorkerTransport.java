package dev.snakepit.internal.transport.lane;

import dev.snakepit.CallTimeoutException;
import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.StreamChunk;
import dev.snakepit.TransportException;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.transport.ChunkListener;
import dev.snakepit.internal.transport.RemoteToolError;
import dev.snakepit.internal.transport.StreamCall;
import dev.snakepit.internal.transport.ToolRequest;
import dev.snakepit.internal.transport.ToolResponse;
import dev.snakepit.internal.transport.WorkerStatus;
import dev.snakepit.internal.transport.WorkerTransport;
import dev.snakepit.internal.transport.grpc.SharedMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's lane: a Unix-domain socket carrying frames both ways (docs/lane.md).
 *
 * <p><b>Reading</b> follows leader/follower: at most one thread holds the read role and dispatches
 * every frame that arrives. A caller that blocks for its answer ({@link #drive}) takes the role itself
 * when it is free, so a sync call is written and answered on the caller's thread with no hand-off.
 * Calls nobody waits on (async callers, streams, pings) are read by the transport's own reader thread,
 * which yields the role to a blocking caller that asks for it.
 */
final class LaneWorkerTransport implements WorkerTransport {
  private static final Logger LOG = LoggerFactory.getLogger(LaneWorkerTransport.class);
  private static final int READ_BUFFER = 256 * 1024;
  private static final int WRITE_BUFFER = 64 * 1024;
  private static final long MAX_SELECT_MS = 50;
  private static final Map<String, String> JSON_CHUNK = Map.of("content_type", StreamChunk.JSON);
  private static final Map<String, String> TEXT_CHUNK = Map.of("content_type", StreamChunk.TEXT);
  private static final Map<String, String> BYTES_CHUNK = Map.of("content_type", StreamChunk.BYTES);

  private final SocketChannel channel;
  private final Selector readSelector;
  private final Selector writeSelector;
  private final String workerId;
  private final int maxMessageSize;
  private final SharedMemory sharedMemory;
  private final HostCalls hostCalls;

  private final ReentrantLock writeLock = new ReentrantLock();
  private ByteBuffer out = ByteBuffer.allocateDirect(WRITE_BUFFER);

  private final ReentrantLock readLock = new ReentrantLock();
  private final FrameReader reader;
  private final ConcurrentHashMap<Integer, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  /** Calls no caller thread reads for: while any is pending, somebody must hold the read role. */
  private final AtomicInteger undriven = new AtomicInteger();
  private final Thread backgroundReader;
  private volatile Thread leader;
  private volatile boolean driverWaiting;
  private volatile boolean closed;
  private volatile String closeReason;
  private final boolean workerTakesSharedMemory;

  LaneWorkerTransport(SocketChannel channel, String workerId, int maxMessageSize, SharedMemory sharedMemory,
      boolean workerTakesSharedMemory, HostCalls hostCalls, String poolName) throws IOException {
    this.channel = channel;
    this.workerId = workerId;
    this.maxMessageSize = maxMessageSize;
    this.sharedMemory = sharedMemory;
    this.workerTakesSharedMemory = workerTakesSharedMemory && sharedMemory != null;
    this.hostCalls = hostCalls;
    this.reader = new FrameReader(READ_BUFFER, maxMessageSize + 64 * 1024);
    channel.configureBlocking(false);
    this.readSelector = Selector.open();
    this.writeSelector = Selector.open();
    channel.register(readSelector, SelectionKey.OP_READ);
    channel.register(writeSelector, SelectionKey.OP_WRITE);
    this.backgroundReader = Thread.ofPlatform().daemon().name("snakepit-" + poolName + "-lane-" + workerId)
        .unstarted(this::backgroundRead);
    backgroundReader.start();
  }

  // ---------------------------------------------------------------------------------------------
  // Calls
  // ---------------------------------------------------------------------------------------------

  /** Something waiting for frames of one call id. */
  private interface Pending {
    void frame(byte type, int flags, ByteBuffer payload);

    void fail(RuntimeException error);

    long deadline();

    Thread waiter();
  }

  /** A unary call: a future completed by whichever thread reads its RESULT or ERROR. */
  private final class UnaryCall extends CompletableFuture<ToolResponse> implements Pending {
    final int id;
    final String toolName;
    final Duration timeout;
    final long deadline;
    final boolean driven;
    final Thread waiter;
    List<SharedMemory.Slot> slots = List.of();
    SharedMemory.Slot resultSlot;

    UnaryCall(int id, String toolName, Duration timeout, boolean driven) {
      this.id = id;
      this.toolName = toolName;
      this.timeout = timeout;
      this.deadline = System.nanoTime() + timeout.toNanos();
      this.driven = driven;
      this.waiter = driven ? Thread.currentThread() : null;
    }

    @Override
    public long deadline() {
      return deadline;
    }

    @Override
    public Thread waiter() {
      return waiter;
    }

    @Override
    public void frame(byte type, int flags, ByteBuffer payload) {
      if (type == LaneFrames.RESULT) {
        ToolResponse response;
        try {
          response = decodeResult(flags, payload, this);
        } catch (RuntimeException e) {
          finish(false);
          completeExceptionally(e instanceof PayloadTooLargeException ? e : new TransportException(toolName, workerId,
              "INTERNAL", "Call to '" + toolName + "' on worker " + workerId + " returned an unreadable result: " + e.getMessage(), e));
          return;
        }
        finish(true);
        complete(response);
      } else if (type == LaneFrames.ERROR) {
        var json = utf8(payload);
        finish(true);
        complete(new ToolResponse(false, null, null, json, Map.of(), 0));
      } else {
        throw new LaneFrames.LaneProtocolException("unexpected " + LaneFrames.name(type) + " frame for call " + id);
      }
    }

    @Override
    public void fail(RuntimeException error) {
      finish(false);
      completeExceptionally(error);
    }

    private void finish(boolean reusable) {
      if (!pending.remove(id, this)) {
        return;
      }
      if (!driven) {
        undriven.decrementAndGet();
      }
      for (var slot : slots) {
        sharedMemory.release(slot, reusable);
      }
      if (resultSlot != null) {
        sharedMemory.release(resultSlot, reusable);
      }
    }

    @Override
    public boolean complete(ToolResponse value) {
      boolean done = super.complete(value);
      wake(waiter);
      return done;
    }

    @Override
    public boolean completeExceptionally(Throwable error) {
      boolean done = super.completeExceptionally(error);
      wake(waiter);
      return done;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (pending.containsKey(id)) {
        finish(false);
        sendCancel(id);
      }
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      wake(waiter);
      return cancelled;
    }
  }

  @Override
  public CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout) {
    return execute(request, timeout, false);
  }

  @Override
  public CompletableFuture<ToolResponse> execute(ToolRequest request, Duration timeout, boolean callerWaits) {
    int id = ids.incrementAndGet();
    var call = new UnaryCall(id, request.toolName(), timeout, callerWaits);
    if (closed) {
      call.completeExceptionally(connectionLost(request.toolName()));
      return call;
    }
    if (!callerWaits) {
      undriven.incrementAndGet();
    }
    pending.put(id, call);
    try {
      writeCall(LaneFrames.CALL, id, request, timeout, 0, call);
    } catch (RuntimeException e) {
      call.fail(e);
      return call;
    }
    if (!callerWaits) {
      needReader();
    }
    return call;
  }

  @Override
  public CompletableFuture<WorkerStatus> ping(Duration timeout) {
    int id = ids.incrementAndGet();
    var future = new CompletableFuture<WorkerStatus>();
    long deadline = System.nanoTime() + timeout.toNanos();
    var ping = new Pending() {
      @Override
      public void frame(byte type, int flags, ByteBuffer payload) {
        if (type != LaneFrames.PONG || payload.remaining() != 8) {
          throw new LaneFrames.LaneProtocolException("expected an 8-byte PONG for ping " + id);
        }
        int active = payload.getInt(payload.position());
        int busy = payload.getInt(payload.position() + 4);
        done();
        future.complete(new WorkerStatus(active, busy));
      }

      @Override
      public void fail(RuntimeException error) {
        if (pending.remove(id, this)) {
          undriven.decrementAndGet();
        }
        future.completeExceptionally(error);
      }

      private void done() {
        if (pending.remove(id, this)) {
          undriven.decrementAndGet();
        }
      }

      @Override
      public long deadline() {
        return deadline;
      }

      @Override
      public Thread waiter() {
        return null;
      }
    };
    if (closed) {
      future.completeExceptionally(connectionLost("Ping"));
      return future;
    }
    undriven.incrementAndGet();
    pending.put(id, ping);
    try {
      writeFrame(LaneFrames.PING, 0, id, null);
    } catch (RuntimeException e) {
      ping.fail(e);
    }
    needReader();
    return future;
  }

  @Override
  public StreamCall stream(ToolRequest request, Duration timeout, int initialRequest, ChunkListener listener) {
    int id = ids.incrementAndGet();
    long deadline = System.nanoTime() + timeout.toNanos();
    var call = new StreamPending(id, request.toolName(), timeout, deadline, listener);
    listener.onStart(call);
    if (closed) {
      listener.onError(connectionLost(request.toolName()));
      return call;
    }
    undriven.incrementAndGet();
    pending.put(id, call);
    try {
      writeCall(LaneFrames.STREAM, id, request, timeout, initialRequest, null);
    } catch (RuntimeException e) {
      call.fail(e);
      return call;
    }
    needReader();
    return call;
  }

  /** A streaming call: chunks go to the listener on the reading thread; CREDIT frames ask for more. */
  private final class StreamPending implements Pending, StreamCall {
    final int id;
    final String toolName;
    final Duration timeout;
    final long deadline;
    final ChunkListener listener;
    long sequence;
    volatile boolean finished;

    StreamPending(int id, String toolName, Duration timeout, long deadline, ChunkListener listener) {
      this.id = id;
      this.toolName = toolName;
      this.timeout = timeout;
      this.deadline = deadline;
      this.listener = listener;
    }

    @Override
    public long deadline() {
      return deadline;
    }

    @Override
    public Thread waiter() {
      return null;
    }

    @Override
    public void frame(byte type, int flags, ByteBuffer payload) {
      if (type == LaneFrames.CHUNK) {
        Map<String, String> metadata = switch (flags & LaneFrames.CHUNK_KIND_MASK) {
          case LaneFrames.CHUNK_TEXT -> TEXT_CHUNK;
          case LaneFrames.CHUNK_BYTES -> BYTES_CHUNK;
          default -> JSON_CHUNK;
        };
        if ((flags & LaneFrames.F_META) != 0) {
          metadata = withMeta(metadata, readMeta(payload));
        }
        var data = new byte[payload.remaining()];
        payload.get(data);
        boolean last = (flags & LaneFrames.F_FINAL) != 0;
        if (last) {
          end();
        }
        listener.onChunk(new StreamChunk(++sequence, data, last, metadata));
        if (last) {
          listener.onCompleted();
        }
      } else if (type == LaneFrames.ERROR) {
        end();
        listener.onError(new RemoteToolError(utf8(payload)));
      } else {
        throw new LaneFrames.LaneProtocolException("unexpected " + LaneFrames.name(type) + " frame for stream " + id);
      }
    }

    private void end() {
      if (pending.remove(id, this)) {
        undriven.decrementAndGet();
      }
      finished = true;
    }

    @Override
    public void fail(RuntimeException error) {
      boolean mine = pending.remove(id, this);
      if (mine) {
        undriven.decrementAndGet();
      }
      if (!finished) {
        finished = true;
        listener.onError(error);
      }
    }

    @Override
    public void request(int count) {
      if (count > 0 && !finished && !closed) {
        try {
          writeFrame(LaneFrames.CREDIT, 0, id, ByteBuffer.allocate(4).putInt(0, count));
        } catch (RuntimeException e) {
          LOG.debug("CREDIT for stream {} on {} not sent: {}", id, workerId, e.toString());
        }
      }
    }

    @Override
    public void cancel(String reason) {
      if (pending.containsKey(id)) {
        sendCancel(id);
        fail(new TransportException(toolName, workerId, "CANCELLED", "Stream of '" + toolName + "' on worker " + workerId
            + " was cancelled: " + reason, null));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading: leader/follower
  // ---------------------------------------------------------------------------------------------

  @Override
  public void drive(Future<?> until, long deadlineNanos) {
    var me = Thread.currentThread();
    while (!until.isDone() && !closed) {
      long now = System.nanoTime();
      if (now - deadlineNanos >= 0) {
        expireOwn(me, now);
        return;
      }
      if (me.isInterrupted()) {
        return;
      }
      if (readLock.tryLock()) {
        try {
          leader = me;
          lead(until, deadlineNanos, false);
        } finally {
          leader = null;
          readLock.unlock();
          handOver();
        }
      } else {
        driverWaiting = true;
        if (leader == backgroundReader) {
          readSelector.wakeup();
        }
        LockSupport.parkNanos(this, Math.min(deadlineNanos - now, TimeUnit.MILLISECONDS.toNanos(MAX_SELECT_MS)));
      }
    }
  }

  /** Reads and dispatches frames until {@code until} is done, the deadline passes, or (background) no longer needed. */
  private void lead(Future<?> until, long deadlineNanos, boolean background) {
    try {
      while (!closed) {
        while (reader.next(this::dispatch)) {
          if (until != null && until.isDone()) {
            return;
          }
        }
        if (until != null && until.isDone()) {
          return;
        }
        if (background && (driverWaiting || (undriven.get() <= 0))) {
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
        int n = reader.read(channel);
        if (n < 0) {
          closeWith("the worker closed the lane (process exiting?)");
          return;
        }
        if (n == 0) {
          readSelector.select(k -> {}, Math.max(1, TimeUnit.NANOSECONDS.toMillis(wake - now + 999_999)));
        }
      }
    } catch (LaneFrames.LaneProtocolException e) {
      LOG.warn("Closing the lane to worker {}: malformed frame: {}", workerId, e.getMessage());
      sendGoaway("malformed frame: " + e.getMessage());
      closeWith("malformed frame from the worker: " + e.getMessage());
    } catch (ClosedChannelException e) {
      closeWith("the lane was closed");
    } catch (IOException e) {
      closeWith("read failed: " + e.getMessage());
    }
  }

  private void backgroundRead() {
    while (!closed) {
      if (undriven.get() > 0 && !driverWaiting && readLock.tryLock()) {
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
      LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(MAX_SELECT_MS));
    }
  }

  /** After leaving the read role: wake a caller waiting for it, or the reader thread if calls nobody waits on are pending. */
  private void handOver() {
    boolean wokeDriver = false;
    driverWaiting = false;
    for (var p : pending.values()) {
      var waiter = p.waiter();
      if (waiter != null) {
        LockSupport.unpark(waiter);
        wokeDriver = true;
      }
    }
    if (!wokeDriver && undriven.get() > 0) {
      LockSupport.unpark(backgroundReader);
    }
  }

  private void needReader() {
    if (leader == null) {
      LockSupport.unpark(backgroundReader);
    }
  }

  private static void wake(Thread waiter) {
    if (waiter != null && waiter != Thread.currentThread()) {
      LockSupport.unpark(waiter);
    }
  }

  /** Fails calls past their deadline; returns the earliest deadline still pending (bounded to MAX_SELECT_MS from now). */
  private long expireOverdue(long now) {
    long earliest = now + TimeUnit.MILLISECONDS.toNanos(MAX_SELECT_MS);
    for (var entry : pending.entrySet()) {
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
    for (var entry : pending.entrySet()) {
      var p = entry.getValue();
      if (p.waiter() == me && p.deadline() - now <= 0) {
        expire(entry.getKey(), p);
      }
    }
  }

  private void expire(int id, Pending p) {
    if (!pending.containsKey(id)) {
      return;
    }
    sendCancel(id);
    if (p instanceof UnaryCall call) {
      call.fail(new CallTimeoutException(call.toolName, workerId, call.timeout, CallTimeoutException.Phase.RUNNING, null));
    } else if (p instanceof StreamPending stream) {
      stream.fail(new CallTimeoutException(stream.toolName, workerId, stream.timeout, CallTimeoutException.Phase.RUNNING, null));
    } else {
      p.fail(new TransportException("Ping", workerId, "DEADLINE_EXCEEDED", "Worker " + workerId + " did not answer Ping in time.", null));
    }
  }

  private void dispatch(byte type, int flags, int callId, ByteBuffer payload) {
    switch (type) {
      case LaneFrames.RESULT, LaneFrames.ERROR, LaneFrames.CHUNK, LaneFrames.PONG -> {
        var p = pending.get(callId);
        if (p != null) {
          p.frame(type, flags, payload);
        }
      }
      case LaneFrames.HOST_CALL, LaneFrames.HOST_TOOLS -> hostCall(type, callId, payload);
      case LaneFrames.TELEMETRY -> { }
      case LaneFrames.GOAWAY -> closeWith("the worker said goodbye: " + utf8(payload));
      default -> throw new LaneFrames.LaneProtocolException("unexpected " + LaneFrames.name(type) + " frame from the worker");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Host calls (Python calling Java host tools)
  // ---------------------------------------------------------------------------------------------

  private void hostCall(byte type, int callId, ByteBuffer payload) {
    if (hostCalls == null) {
      writeFrame(LaneFrames.HOST_RESULT, LaneFrames.F_FAILED, callId,
          ByteBuffer.wrap("{\"type\":\"HostError\",\"message\":\"this pool serves no host tools\"}".getBytes(StandardCharsets.UTF_8)));
      return;
    }
    if (type == LaneFrames.HOST_TOOLS) {
      var request = Json.readTree(bytes(payload), "HOST_TOOLS request");
      var session = request.path("s").asText("");
      hostCalls.execute(() -> answer(callId, hostCalls.exposed(session)));
      return;
    }
    if (payload.remaining() < 12) {
      throw new LaneFrames.LaneProtocolException("HOST_CALL payload of " + payload.remaining() + " bytes");
    }
    int at = payload.position();
    long timeoutMs = Integer.toUnsignedLong(payload.getInt(at));
    int headerLength = payload.getInt(at + 8);
    if (headerLength < 0 || headerLength > payload.remaining() - 12) {
      throw new LaneFrames.LaneProtocolException("HOST_CALL header of " + headerLength + " bytes overruns its payload");
    }
    var header = new byte[headerLength];
    payload.get(at + 12, header);
    var blobs = new byte[payload.remaining() - 12 - headerLength];
    payload.get(at + 12 + headerLength, blobs);
    hostCalls.execute(() -> {
      HostCalls.Outcome outcome;
      try {
        outcome = hostCalls.call(header, blobs, timeoutMs == 0 ? null : Duration.ofMillis(timeoutMs));
      } catch (RuntimeException e) {
        outcome = HostCalls.Outcome.failure("{\"type\":\"HostError\",\"message\":" + quote(String.valueOf(e.getMessage())) + "}");
      }
      answer(callId, outcome);
    });
  }

  private void answer(int callId, HostCalls.Outcome outcome) {
    if (closed) {
      return;
    }
    try {
      if (!outcome.success()) {
        writeFrame(LaneFrames.HOST_RESULT, LaneFrames.F_FAILED, callId, ByteBuffer.wrap(outcome.errorJson().getBytes(StandardCharsets.UTF_8)));
      } else if (outcome.binary() != null) {
        writeFrame(LaneFrames.HOST_RESULT, LaneFrames.F_BINARY, callId, outcome.binary().duplicate());
      } else {
        writeFrame(LaneFrames.HOST_RESULT, 0, callId, ByteBuffer.wrap(outcome.json()));
      }
    } catch (RuntimeException e) {
      LOG.debug("Host result {} to {} not sent: {}", callId, workerId, e.toString());
    }
  }

  private static String quote(String text) {
    var buffer = ByteBuffer.allocate(text.length() * 6 + 2);
    CallEncoder.string(buffer, text);
    return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding
  // ---------------------------------------------------------------------------------------------

  private ToolResponse decodeResult(int flags, ByteBuffer payload, UnaryCall call) {
    if (payload.remaining() < 4) {
      throw new LaneFrames.LaneProtocolException("RESULT payload of " + payload.remaining() + " bytes");
    }
    long micros = Integer.toUnsignedLong(payload.getInt());
    Map<String, String> metadata = (flags & LaneFrames.F_META) != 0 ? readMeta(payload) : Map.of();
    if ((flags & LaneFrames.F_SHM) != 0) {
      var reference = utf8(payload);
      int colon = reference.lastIndexOf(':');
      var slot = call.resultSlot;
      if (slot == null || colon < 0 || !slot.name.equals(reference.substring(0, colon))) {
        throw new IllegalStateException("the worker named an unexpected shared-memory result '" + reference + "'");
      }
      long length = Long.parseLong(reference.substring(colon + 1));
      if (length > maxMessageSize) {
        throw new PayloadTooLargeException(call.toolName, "the result", length, maxMessageSize, workerId);
      }
      return new ToolResponse(true, null, sharedMemory.read(slot, length), null, metadata, micros / 1000);
    }
    var data = bytes(payload);
    if ((flags & LaneFrames.F_BINARY) != 0) {
      return new ToolResponse(true, null, ByteBuffer.wrap(data), null, metadata, micros / 1000);
    }
    return new ToolResponse(true, data, null, null, metadata, micros / 1000);
  }

  /** {@link #readMeta} for the fuzz test. */
  static Map<String, String> readMetaForTest(ByteBuffer payload) {
    return readMeta(payload);
  }

  private static Map<String, String> readMeta(ByteBuffer payload) {
    if (payload.remaining() < 4) {
      throw new LaneFrames.LaneProtocolException("metadata length missing");
    }
    int length = payload.getInt();
    if (length < 0 || length > payload.remaining()) {
      throw new LaneFrames.LaneProtocolException("metadata of " + length + " bytes overruns its frame");
    }
    var json = new byte[length];
    payload.get(json);
    var node = Json.readTree(json, "frame metadata");
    var map = new java.util.HashMap<String, String>();
    node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }

  private static Map<String, String> withMeta(Map<String, String> base, Map<String, String> extra) {
    var merged = new java.util.HashMap<>(base);
    merged.putAll(extra);
    return merged;
  }

  private static byte[] bytes(ByteBuffer payload) {
    var data = new byte[payload.remaining()];
    payload.get(data);
    return data;
  }

  private static String utf8(ByteBuffer payload) {
    return new String(bytes(payload), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------------
  // Writing
  // ---------------------------------------------------------------------------------------------

  private void writeCall(byte type, int id, ToolRequest request, Duration timeout, int credit, UnaryCall call) {
    var inline = new ArrayList<Map.Entry<String, ByteBuffer>>(request.binaryArguments().size());
    var shared = new ArrayList<CallEncoder.SharedArgument>(0);
    long inlineBytes = 0;
    for (var e : request.binaryArguments().entrySet()) {
      var bytes = e.getValue();
      if (workerTakesSharedMemory && call != null && bytes.remaining() >= SharedMemory.THRESHOLD) {
        var slot = sharedMemory.acquire();
        try {
          sharedMemory.write(slot, bytes);
          if (call.slots.isEmpty()) {
            call.slots = new ArrayList<>(2);
          }
          call.slots.add(slot);
          shared.add(new CallEncoder.SharedArgument(e.getKey(), slot.name, bytes.remaining()));
          continue;
        } catch (java.io.UncheckedIOException failure) {
          LOG.warn("Shared-memory hand-off of argument '{}' to {} failed, sending it inline: {}", e.getKey(), workerId,
              failure.getMessage());
          sharedMemory.release(slot, false);
        }
      }
      inline.add(e);
      inlineBytes += bytes.remaining();
    }
    String resultFile = null;
    if (workerTakesSharedMemory && call != null) {
      call.resultSlot = sharedMemory.acquire();
      resultFile = call.resultSlot.name;
    }
    if (inlineBytes + request.payloadSize() > maxMessageSize) {
      throw new PayloadTooLargeException(request.toolName(), "the request", inlineBytes + request.payloadSize(),
          maxMessageSize, workerId);
    }
    int bound = LaneFrames.HEADER + 12 + CallEncoder.headerBound(request) + 64 * inline.size() + 64;
    writeLock.lock();
    try {
      var buffer = ensure(bound);
      int start = buffer.position();
      buffer.position(start + LaneFrames.HEADER);
      buffer.putInt((int) Math.min(0xffffffffL, Math.max(1, timeout.toMillis()))).putInt(credit);
      int lengthAt = buffer.position();
      buffer.putInt(0);
      CallEncoder.header(buffer, request, inline, shared, resultFile, SharedMemory.THRESHOLD);
      int headerLength = buffer.position() - lengthAt - 4;
      buffer.putInt(lengthAt, headerLength);
      long payload = buffer.position() - start - LaneFrames.HEADER + inlineBytes;
      buffer.putInt(start, (int) payload + LaneFrames.MIN_LENGTH).put(start + 4, type).put(start + 5, (byte) 0)
          .putShort(start + 6, (short) 0).putInt(start + 8, id);
      buffer.flip();
      drain(buffer);
      for (var e : inline) {
        drain(e.getValue().duplicate());
      }
    } finally {
      out.clear();
      writeLock.unlock();
    }
  }

  private void writeFrame(byte type, int flags, int id, ByteBuffer payload) {
    writeLock.lock();
    try {
      int length = payload == null ? 0 : payload.remaining();
      var buffer = ensure(LaneFrames.HEADER + Math.min(length, WRITE_BUFFER));
      LaneFrames.putHeader(buffer, length, type, flags, id);
      if (payload != null && length <= buffer.remaining()) {
        buffer.put(payload);
        buffer.flip();
        drain(buffer);
      } else {
        buffer.flip();
        drain(buffer);
        if (payload != null) {
          drain(payload);
        }
      }
    } finally {
      out.clear();
      writeLock.unlock();
    }
  }

  private ByteBuffer ensure(int size) {
    if (out.capacity() < size) {
      out = ByteBuffer.allocateDirect(Integer.highestOneBit(size - 1) << 1);
    }
    out.clear();
    return out;
  }

  /** Writes all of {@code buffer}, waiting for room in the socket when it is full. Caller holds the write lock. */
  private void drain(ByteBuffer buffer) {
    try {
      while (buffer.hasRemaining()) {
        if (closed) {
          throw connectionLost(null);
        }
        if (channel.write(buffer) == 0) {
          writeSelector.select(k -> {}, MAX_SELECT_MS);
        }
      }
    } catch (IOException e) {
      closeWith("write failed: " + e.getMessage());
      throw connectionLost(null);
    }
  }

  private void sendCancel(int id) {
    if (!closed) {
      try {
        writeFrame(LaneFrames.CANCEL, 0, id, null);
      } catch (RuntimeException e) {
        LOG.debug("CANCEL {} to {} not sent: {}", id, workerId, e.toString());
      }
    }
  }

  private void sendGoaway(String reason) {
    try {
      writeFrame(LaneFrames.GOAWAY, 0, 0, ByteBuffer.wrap(reason.getBytes(StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      LOG.debug("GOAWAY to {} not sent: {}", workerId, e.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Closing
  // ---------------------------------------------------------------------------------------------

  private TransportException connectionLost(String toolName) {
    var what = toolName == null ? "Call" : "Call to '" + toolName + "'";
    return new TransportException(toolName, workerId, "UNAVAILABLE",
        what + " on worker " + workerId + " failed: UNAVAILABLE " + (closeReason == null ? "the lane is closed" : closeReason)
            + ". The worker is not reachable (it may have exited).", null);
  }

  private void closeWith(String reason) {
    if (closed) {
      return;
    }
    closeReason = reason;
    closed = true;
    LOG.debug("Lane to {} closed: {}", workerId, reason);
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("Closing the lane to {}", workerId, e);
    }
    readSelector.wakeup();
    writeSelector.wakeup();
    for (var p : pending.values()) {
      String tool = p instanceof UnaryCall u ? u.toolName : p instanceof StreamPending s ? s.toolName : "Ping";
      p.fail(connectionLost(tool));
    }
    LockSupport.unpark(backgroundReader);
  }

  @Override
  public void close() {
    closeWith("closed by the pool");
    try {
      backgroundReader.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      readSelector.close();
      writeSelector.close();
    } catch (IOException e) {
      LOG.debug("Closing selectors of {}", workerId, e);
    }
  }

  /** Whether the lane is closed (tests). */
  boolean isClosed() {
    return closed;
  }

  /** Number of calls still waiting for an answer (tests). */
  int pendingCount() {
    return pending.size();
  }

  static CancellationException cancelled() {
    return new CancellationException("cancelled by the caller");
  }
}
