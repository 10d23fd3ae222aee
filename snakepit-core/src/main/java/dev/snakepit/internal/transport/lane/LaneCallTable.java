package dev.snakepit.internal.transport.lane;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The calls of one lane still waiting for frames, by call id. It also counts the calls no caller
 * thread reads for ("undriven"): while any is pending, somebody must hold the read role.
 */
final class LaneCallTable {
  private final ConcurrentHashMap<Integer, LanePending> pending = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicInteger undriven = new AtomicInteger();

  int nextId() {
    return ids.incrementAndGet();
  }

  void add(int id, LanePending call) {
    if (call.waiter() == null) {
      undriven.incrementAndGet();
    }
    pending.put(id, call);
  }

  /** Removes {@code call} if it is still pending; true if this call removed it. */
  boolean remove(int id, LanePending call) {
    if (!pending.remove(id, call)) {
      return false;
    }
    if (call.waiter() == null) {
      undriven.decrementAndGet();
    }
    return true;
  }

  LanePending get(int id) {
    return pending.get(id);
  }

  boolean contains(int id) {
    return pending.containsKey(id);
  }

  /** A live view of the pending calls. */
  Collection<LanePending> all() {
    return pending.values();
  }

  /** A live view of the pending calls with their ids. */
  Set<Map.Entry<Integer, LanePending>> entries() {
    return pending.entrySet();
  }

  int undriven() {
    return undriven.get();
  }

  int size() {
    return pending.size();
  }
}
