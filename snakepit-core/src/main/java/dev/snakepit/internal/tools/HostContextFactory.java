package dev.snakepit.internal.tools;

import dev.snakepit.HostToolContext;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Makes the {@link HostToolContext} a host tool handler receives. The public facade supplies it,
 * so handlers reach the pool ({@code ctx.execute}, {@code ctx.snakepit()}) without any internal
 * class knowing the facade.
 */
@FunctionalInterface
public interface HostContextFactory {
  /**
   * The context of one call.
   *
   * @param toolName the host tool
   * @param sessionId the caller's session, or null
   * @param metadata the request metadata
   * @param remaining the time left until the call's deadline, recomputed at each call
   */
  HostToolContext create(String toolName, String sessionId, Map<String, String> metadata, Supplier<Duration> remaining);
}
