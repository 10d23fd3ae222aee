package dev.snakepit.cli;

import dev.snakepit.PoolEventListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How long a pool takes to notice that a remote worker is gone: from the fault (kill or pause) at
 * an endpoint to the pool's first {@code workerCrashed} naming that endpoint ("remote worker
 * HOST:PORT (incarnation ...) lost: ...").
 */
final class LossNoticeClock implements PoolEventListener {
  private final Map<String, Long> faultAt = new ConcurrentHashMap<>();
  private final List<Long> noticedMillis = new ArrayList<>();

  /** A fault was just injected at {@code endpoint} (host:port). */
  void faultAt(String endpoint) {
    faultAt.put(endpoint, System.nanoTime());
  }

  @Override
  public void workerCrashed(WorkerCrashed event) {
    var tail = event.stderrTail() == null ? "" : event.stderrTail();
    for (var endpoint : faultAt.keySet()) {
      if (tail.contains("remote worker " + endpoint + " ")) {
        // Only the first slot that reports the loss counts: later ones are the same notice.
        var since = faultAt.remove(endpoint);
        if (since != null) {
          synchronized (noticedMillis) {
            noticedMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since));
          }
        }
      }
    }
  }

  /** Faults noticed so far. */
  int noticed() {
    synchronized (noticedMillis) {
      return noticedMillis.size();
    }
  }

  /** "p50 X ms, max Y ms" of the times to notice, or "none noticed". */
  String summary() {
    List<Long> sorted;
    synchronized (noticedMillis) {
      sorted = noticedMillis.stream().sorted().toList();
    }
    if (sorted.isEmpty()) {
      return "none noticed";
    }
    return "p50 " + sorted.get((sorted.size() - 1) / 2) + " ms, max " + sorted.get(sorted.size() - 1) + " ms";
  }
}
