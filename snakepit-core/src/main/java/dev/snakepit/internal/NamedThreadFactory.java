package dev.snakepit.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon platform threads named {@code snakepit-<pool>-<role>-<n>}, so thread dumps and leak checks read well. */
public final class NamedThreadFactory implements ThreadFactory {
  /** Every thread the library starts has a name with this prefix. */
  public static final String PREFIX = "snakepit-";

  private final String baseName;
  private final AtomicInteger counter = new AtomicInteger();

  /** Threads for {@code role} in pool {@code poolName}. */
  public NamedThreadFactory(String poolName, String role) {
    this.baseName = PREFIX + poolName + "-" + role + "-";
  }

  @Override
  public Thread newThread(Runnable task) {
    var thread = new Thread(task, baseName + counter.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  }

  /** A single daemon thread named {@code snakepit-<owner>-<role>} (owner: a pool or a worker id), started. */
  public static Thread start(String owner, String role, Runnable task) {
    var thread = new Thread(task, PREFIX + owner + "-" + role);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }
}
