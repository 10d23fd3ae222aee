package dev.snakepit;

import java.util.List;
import java.util.Optional;

/**
 * The host tools of a pool: Java functions its Python tools may call. Obtain it with
 * {@link Snakepit#hostTools()}; tools given to {@link SnakepitConfig.Builder#hostTool} are already
 * registered. Thread-safe; changes are visible to the next Python lookup.
 *
 * <p>A tool is either <em>global</em> (visible to every call) or <em>session-scoped</em> (visible only
 * to calls made with that session id, e.g. {@code CallOptions.defaults().withSessionId("s1")}). A
 * session's tools are dropped when the session is cleaned up (the host's {@code CleanupSession}).
 * A name is unique across both scopes: registering a name that is already visible where the new
 * tool would be fails with {@link DuplicateHostToolException}.
 *
 * <pre>{@code
 * pit.hostTools().register(HostTool.of("now", "The host's clock", (args, ctx) -> Instant.now().toString()));
 * pit.hostTools().registerForSession("s1", HostTool.of("secret", "Only for s1", (args, ctx) -> 42));
 * }</pre>
 */
public interface HostTools {
  /**
   * Registers a global tool.
   *
   * @throws DuplicateHostToolException when a global or session-scoped tool has that name
   */
  void register(HostTool tool);

  /**
   * Registers a tool visible only to calls of session {@code sessionId}.
   *
   * @throws DuplicateHostToolException when a global tool, or a tool of that session, has that name
   * @throws IllegalArgumentException when {@code sessionId} is blank
   */
  void registerForSession(String sessionId, HostTool tool);

  /** Removes a global tool; true when it was registered. Calls already running finish. */
  boolean unregister(String name);

  /** Removes one session-scoped tool; true when it was registered. */
  boolean unregisterForSession(String sessionId, String name);

  /** Removes every tool of a session; returns how many there were. */
  int removeSession(String sessionId);

  /** The global tools, sorted by name. */
  List<HostTool> list();

  /** The tools a call in {@code sessionId} can see (global and that session's), sorted by name. */
  List<HostTool> visibleTo(String sessionId);

  /** The tool a call in {@code sessionId} (null or empty for none) would get for {@code name}. */
  Optional<HostTool> find(String sessionId, String name);
}
