package dev.snakepit.internal.process;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Asks a worker for the Python stacks of all its threads and collects the answer from its stderr.
 * Every worker registers {@code faulthandler} on SIGUSR2 (all threads, see
 * {@code snakepit_bridge/worker/lifecycle.py}); the dump is a run of "Thread 0x... (most recent call
 * first):" blocks of {@code File "...", line N in f} lines. It has no end marker, so the dump is
 * taken as complete at the first line that is not part of it, or when stderr stays quiet for
 * {@link #QUIET} after it began.
 */
final class StackDump {
  /** Quiet time after the last dump line that ends the dump (faulthandler writes it in one go). */
  static final Duration QUIET = Duration.ofMillis(150);
  private static final Pattern THREAD_HEADER = Pattern.compile("^(Current thread|Thread) 0x[0-9a-fA-F]+ \\(most recent call first\\):$");

  private final StringBuilder text = new StringBuilder();
  private boolean began;
  private boolean ended;
  private long lastLineNanos;

  /** Sends SIGUSR2 to {@code pid}; false when it could not be sent. */
  static boolean signal(long pid) {
    try {
      var kill = new ProcessBuilder("kill", "-USR2", Long.toString(pid)).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return kill.waitFor(2, TimeUnit.SECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** One stderr line of the worker (called by its stderr pump). */
  synchronized void line(String line) {
    if (ended) {
      return;
    }
    boolean header = THREAD_HEADER.matcher(line).matches();
    if (!began) {
      if (header) {
        began = true;
        append(line);
      }
      return;
    }
    if (header || line.isEmpty() || line.startsWith("  ")) {
      append(line);
    } else {
      ended = true;
      notifyAll();
    }
  }

  private void append(String line) {
    text.append(line).append('\n');
    lastLineNanos = System.nanoTime();
    notifyAll();
  }

  /** The dump, or null when none began within {@code wait}; returns once it ended or went quiet. */
  synchronized String await(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      while (true) {
        long now = System.nanoTime();
        if (ended || (began && now - lastLineNanos >= QUIET.toNanos()) || now - deadline >= 0) {
          ended = true;
          return began ? text.toString().stripTrailing() : null;
        }
        long until = began ? Math.min(deadline, lastLineNanos + QUIET.toNanos()) : deadline;
        TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, until - now));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ended = true;
      return began ? text.toString().stripTrailing() : null;
    }
  }
}
