package dev.snakepit.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A worker forked by the pool's template: a grandchild of the JVM, seen through the
 * {@link Process} API so the rest of the pool treats it like a spawned worker. Its stdout and
 * stderr arrive as two connections to the fork server's output socket; its exit code comes from
 * the template (which reaps it), or, when the template is gone, the exit is noticed through its
 * {@link ProcessHandle} (code {@value #UNKNOWN_EXIT}).
 */
final class ForkedProcess extends Process {
  /** The exit code reported when the template could not tell it (the template died first). */
  static final int UNKNOWN_EXIT = -1;
  private static final long OUTPUT_GRACE_MS = 500;
  private static final long EXIT_REPORT_GRACE_MS = 2_000;

  private final String workerId;
  private final CompletableFuture<Long> attached = new CompletableFuture<>();
  private final CompletableFuture<InputStream> stdout = new CompletableFuture<>();
  private final CompletableFuture<InputStream> stderr = new CompletableFuture<>();
  private final CompletableFuture<Process> exit = new CompletableFuture<>();
  private volatile ProcessHandle handle;
  private volatile long pid = -1;
  private volatile int exitCode = UNKNOWN_EXIT;

  /** A worker about to be forked: {@link #attach} follows when the template answered. */
  ForkedProcess(String workerId) {
    this.workerId = workerId;
  }

  String workerId() {
    return workerId;
  }

  /** The template forked it as {@code pid}. */
  void attach(long pid) {
    this.pid = pid;
    ProcessHandle.of(pid).ifPresent(found -> this.handle = found);
    attached.complete(pid);
  }

  /**
   * The template is gone, so no exit event will come: notice the exit through the process handle
   * (the JDK polls for processes that are not its children).
   */
  void watchWithoutTemplate() {
    var current = handle;
    if (current == null || !current.isAlive()) {
      exited(UNKNOWN_EXIT);
    } else {
      current.onExit().thenRun(() -> exited(UNKNOWN_EXIT));
    }
  }

  /** The template could not fork it. */
  void failed(Throwable why) {
    attached.completeExceptionally(why);
  }

  /** Completes with the pid once the template answered the fork request. */
  CompletableFuture<Long> attached() {
    return attached;
  }

  /** Whether the exit was seen (by the template, or by the handle's backstop). */
  boolean hasExited() {
    return exit.isDone();
  }

  /** The template reaped the worker: this is its exit code (128 + signal for a signal). */
  void exited(int code) {
    synchronized (exit) {
      if (exit.isDone()) {
        return;
      }
      exitCode = code;
    }
    // Its output connections may still be on their way (with a traceback): wait a little for them.
    stdout.completeOnTimeout(InputStream.nullInputStream(), OUTPUT_GRACE_MS, TimeUnit.MILLISECONDS);
    stderr.completeOnTimeout(InputStream.nullInputStream(), OUTPUT_GRACE_MS, TimeUnit.MILLISECONDS);
    exit.complete(this);
  }

  /** Whether both output connections arrived (or were given up). */
  boolean outputConnected() {
    return stdout.isDone() && stderr.isDone();
  }

  /** One of its output connections arrived ({@code "stdout"} or {@code "stderr"}). */
  boolean connected(String stream, InputStream input) {
    var target = switch (stream) {
      case "stdout" -> stdout;
      case "stderr" -> stderr;
      default -> null;
    };
    return target != null && target.complete(input);
  }

  @Override
  public OutputStream getOutputStream() {
    return OutputStream.nullOutputStream();
  }

  @Override
  public InputStream getInputStream() {
    return new Deferred(stdout);
  }

  @Override
  public InputStream getErrorStream() {
    return new Deferred(stderr);
  }

  @Override
  public int waitFor() throws InterruptedException {
    try {
      exit.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    return exitCode;
  }

  @Override
  public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      exit.get(timeout, unit);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  @Override
  public int exitValue() {
    if (!exit.isDone()) {
      var current = handle;
      if (current != null && current.isAlive()) {
        throw new IllegalThreadStateException("worker " + workerId + " (pid " + pid + ") has not exited");
      }
      // isAlive() already says it is gone (the handle saw the exit first): the template's exit
      // report with the real code is a moment away, so wait for it rather than fail the caller.
      try {
        exit.get(EXIT_REPORT_GRACE_MS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        return UNKNOWN_EXIT;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return UNKNOWN_EXIT;
      }
    }
    return exitCode;
  }

  @Override
  public boolean isAlive() {
    var current = handle;
    return !exit.isDone() && current != null && current.isAlive();
  }

  @Override
  public CompletableFuture<Process> onExit() {
    return exit.copy();
  }

  @Override
  public void destroy() {
    var current = handle;
    if (current != null && !exit.isDone()) {
      current.destroy();
    }
  }

  @Override
  public Process destroyForcibly() {
    var current = handle;
    if (current != null && !exit.isDone()) {
      current.destroyForcibly();
    }
    return this;
  }

  @Override
  public boolean supportsNormalTermination() {
    return true;
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public ProcessHandle toHandle() {
    var current = handle;
    if (current == null) {
      throw new IllegalStateException("worker " + workerId + " (pid " + pid + ") exited before it was seen");
    }
    return current;
  }

  @Override
  public Stream<ProcessHandle> descendants() {
    var current = handle;
    return current == null ? Stream.empty() : current.descendants();
  }

  @Override
  public Stream<ProcessHandle> children() {
    var current = handle;
    return current == null ? Stream.empty() : current.children();
  }

  @Override
  public String toString() {
    return "ForkedProcess[" + workerId + ", pid " + pid + (exit.isDone() ? ", exit " + exitCode : "") + "]";
  }

  /** An output stream that exists once the worker connected it (or ended empty if it never did). */
  private static final class Deferred extends InputStream {
    private final CompletableFuture<InputStream> source;

    Deferred(CompletableFuture<InputStream> source) {
      this.source = source;
    }

    private InputStream source() throws IOException {
      try {
        return source.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for the worker's output");
      } catch (ExecutionException e) {
        throw new IOException(e.getCause());
      }
    }

    @Override
    public int read() throws IOException {
      return source().read();
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      return source().read(buffer, offset, length);
    }

    @Override
    public void close() throws IOException {
      if (source.isDone()) {
        source().close();
      } else {
        source.complete(InputStream.nullInputStream());
      }
    }
  }
}
