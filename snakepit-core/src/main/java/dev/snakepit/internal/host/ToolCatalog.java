package dev.snakepit.internal.host;

import dev.snakepit.ToolInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** The Python tools each worker registered (RegisterTools), keyed by worker id. */
public final class ToolCatalog {
  private final ConcurrentHashMap<String, List<ToolInfo>> byWorker = new ConcurrentHashMap<>();

  /** Records (replaces) the tools of one worker. */
  public void register(String workerId, List<ToolInfo> tools) {
    byWorker.put(workerId, List.copyOf(tools));
  }

  /** Forgets a worker that is gone. */
  public void forget(String workerId) {
    byWorker.remove(workerId);
  }

  /** The union of all workers' tools, one entry per name, sorted by name. */
  public List<ToolInfo> tools() {
    var byName = new TreeMap<String, ToolInfo>();
    for (var tools : byWorker.values()) {
      for (var tool : tools) {
        byName.putIfAbsent(tool.name(), tool);
      }
    }
    return List.copyOf(byName.values());
  }

  /** Whether any worker registered any tool (foreign workers may register none). */
  public boolean isKnown() {
    return byWorker.values().stream().anyMatch(list -> !list.isEmpty());
  }

  /** The tools of each worker. */
  public Map<String, List<ToolInfo>> byWorker() {
    var copy = new ArrayList<>(byWorker.entrySet());
    copy.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
    var result = new java.util.LinkedHashMap<String, List<ToolInfo>>();
    copy.forEach(e -> result.put(e.getKey(), e.getValue()));
    return result;
  }
}
