package dev.snakepit.internal.tools;

import dev.snakepit.DuplicateHostToolException;
import dev.snakepit.HostTool;
import dev.snakepit.HostTools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pool's host tools, global and per session. Reads are lock-free; registrations take one lock so
 * the uniqueness check across scopes and the insertion are atomic.
 */
public final class HostToolRegistry implements HostTools {
  private static final Comparator<HostTool> BY_NAME = Comparator.comparing(HostTool::name);

  private final ReentrantLock writes = new ReentrantLock();
  private final ConcurrentHashMap<String, HostTool> global = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, HostTool>> bySession = new ConcurrentHashMap<>();
  private final Duration defaultTimeout;
  private volatile dev.snakepit.internal.telemetry.HostCallObserver observer = dev.snakepit.internal.telemetry.HostCallObserver.NONE;

  /** A registry holding {@code initial} as global tools; calls without their own limit get {@code defaultTimeout}. */
  public HostToolRegistry(List<HostTool> initial, Duration defaultTimeout) {
    this.defaultTimeout = Objects.requireNonNull(defaultTimeout, "defaultTimeout");
    initial.forEach(this::register);
  }

  /** An empty registry (for a host server without host tools). */
  public static HostToolRegistry empty() {
    return new HostToolRegistry(List.of(), Duration.ofSeconds(30));
  }

  /** Who hears host tool calls around their handlers (the pool's interceptors, MDC and events). */
  public void observe(dev.snakepit.internal.telemetry.HostCallObserver observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  dev.snakepit.internal.telemetry.HostCallObserver observer() {
    return observer;
  }

  /** The time limit of a call to {@code tool} when neither the tool nor the caller sets a shorter one. */
  Duration timeoutOf(HostTool tool) {
    return tool.timeout().orElse(defaultTimeout);
  }

  @Override
  public void register(HostTool tool) {
    Objects.requireNonNull(tool, "tool");
    writes.lock();
    try {
      if (global.containsKey(tool.name())) {
        throw new DuplicateHostToolException(tool.name(), null, null);
      }
      for (var session : bySession.entrySet()) {
        if (session.getValue().containsKey(tool.name())) {
          throw new DuplicateHostToolException(tool.name(), null, session.getKey());
        }
      }
      global.put(tool.name(), tool);
    } finally {
      writes.unlock();
    }
  }

  @Override
  public void registerForSession(String sessionId, HostTool tool) {
    requireSession(sessionId);
    Objects.requireNonNull(tool, "tool");
    writes.lock();
    try {
      if (global.containsKey(tool.name())) {
        throw new DuplicateHostToolException(tool.name(), sessionId, null);
      }
      var tools = bySession.computeIfAbsent(sessionId, id -> new ConcurrentHashMap<>());
      if (tools.putIfAbsent(tool.name(), tool) != null) {
        throw new DuplicateHostToolException(tool.name(), sessionId, sessionId);
      }
    } finally {
      writes.unlock();
    }
  }

  @Override
  public boolean unregister(String name) {
    Objects.requireNonNull(name, "name");
    writes.lock();
    try {
      return global.remove(name) != null;
    } finally {
      writes.unlock();
    }
  }

  @Override
  public boolean unregisterForSession(String sessionId, String name) {
    Objects.requireNonNull(name, "name");
    if (sessionId == null) {
      return false;
    }
    writes.lock();
    try {
      var tools = bySession.get(sessionId);
      if (tools == null || tools.remove(name) == null) {
        return false;
      }
      if (tools.isEmpty()) {
        bySession.remove(sessionId);
      }
      return true;
    } finally {
      writes.unlock();
    }
  }

  @Override
  public int removeSession(String sessionId) {
    if (sessionId == null) {
      return 0;
    }
    writes.lock();
    try {
      var removed = bySession.remove(sessionId);
      return removed == null ? 0 : removed.size();
    } finally {
      writes.unlock();
    }
  }

  @Override
  public List<HostTool> list() {
    return sorted(global.values(), Map.of());
  }

  @Override
  public List<HostTool> visibleTo(String sessionId) {
    var session = sessionId == null || sessionId.isEmpty() ? null : bySession.get(sessionId);
    return sorted(global.values(), session == null ? Map.of() : session);
  }

  @Override
  public Optional<HostTool> find(String sessionId, String name) {
    if (name == null) {
      return Optional.empty();
    }
    var tool = global.get(name);
    if (tool == null && sessionId != null && !sessionId.isEmpty()) {
      var session = bySession.get(sessionId);
      tool = session == null ? null : session.get(name);
    }
    return Optional.ofNullable(tool);
  }

  private static List<HostTool> sorted(java.util.Collection<HostTool> global, Map<String, HostTool> session) {
    var all = new ArrayList<HostTool>(global.size() + session.size());
    all.addAll(global);
    all.addAll(session.values());
    all.sort(BY_NAME);
    return List.copyOf(all);
  }

  private static void requireSession(String sessionId) {
    Objects.requireNonNull(sessionId, "sessionId");
    if (sessionId.isBlank()) {
      throw new IllegalArgumentException("sessionId must not be blank, was '" + sessionId + "'");
    }
  }
}
