package dev.snakepit.internal.pool;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The bounded FIFO of calls waiting for a worker. Not thread-safe: the pool's lock guards it, and
 * completions of waiters are run by the caller after unlocking. Insertion-ordered and removable in
 * constant time: a cancelled call leaves at once, so heavy cancellation costs no scan.
 */
final class WaitQueue implements Iterable<Waiter> {
  private final LinkedHashSet<Waiter> waiters = new LinkedHashSet<>();
  private final int capacity;

  WaitQueue(int capacity) {
    this.capacity = capacity;
  }

  /** Appends the waiter; false (and nothing queued) when the queue is full. */
  boolean offer(Waiter waiter) {
    if (waiters.size() >= capacity) {
      return false;
    }
    waiters.add(waiter);
    return true;
  }

  /** Removes the waiter; false when it is no longer queued (handed a worker, expired, failed). */
  boolean remove(Waiter waiter) {
    return waiters.remove(waiter);
  }

  /** Removes and returns every waiter, oldest first. */
  List<Waiter> drain() {
    var all = new ArrayList<>(waiters);
    waiters.clear();
    return all;
  }

  int size() {
    return waiters.size();
  }

  int capacity() {
    return capacity;
  }

  boolean isFull() {
    return waiters.size() >= capacity;
  }

  /** Oldest first; {@code remove()} is supported. */
  @Override
  public Iterator<Waiter> iterator() {
    return waiters.iterator();
  }
}
