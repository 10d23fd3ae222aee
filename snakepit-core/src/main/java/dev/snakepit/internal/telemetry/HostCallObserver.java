package dev.snakepit.internal.telemetry;

import dev.snakepit.CallInterceptor;
import java.util.Map;

/** Hears host tool calls around their handler, on the handler's thread (see {@link CallInstrumentation}). */
@FunctionalInterface
public interface HostCallObserver {
  /** Observes nothing. */
  HostCallObserver NONE = (tool, sessionId, metadata) -> CallInterceptor.Completion.NONE;

  /**
   * The handler of {@code tool} is about to run on this thread; the returned completion must be
   * called on the same thread once it returned or threw.
   */
  CallInterceptor.Completion start(String tool, String sessionId, Map<String, String> metadata);
}
