package dev.snakepit;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/** The {@link HostToolContext} of one host tool call: nested calls go through the facade that made it. */
final class PoolHostToolContext implements HostToolContext {
  /** Shortest head start a nested call leaves for its error to travel back. */
  private static final Duration MIN_RESERVE = Duration.ofMillis(100);
  /** Longest head start. */
  private static final Duration MAX_RESERVE = Duration.ofSeconds(2);

  private final String toolName;
  private final String sessionId;
  private final String workerId;
  private final Map<String, String> metadata;
  private final Supplier<Duration> remaining;
  private final Snakepit owner;

  PoolHostToolContext(Snakepit owner, String toolName, String sessionId, Map<String, String> metadata,
      Supplier<Duration> remaining) {
    this.toolName = toolName;
    this.sessionId = sessionId == null || sessionId.isEmpty() ? null : sessionId;
    this.metadata = Map.copyOf(metadata);
    var worker = metadata.get("snakepit.worker_id");
    this.workerId = worker == null || worker.isEmpty() ? null : worker;
    this.remaining = remaining;
    this.owner = owner;
  }

  @Override
  public String toolName() {
    return toolName;
  }

  @Override
  public Optional<String> sessionId() {
    return Optional.ofNullable(sessionId);
  }

  @Override
  public Optional<String> workerId() {
    return Optional.ofNullable(workerId);
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public Duration remaining() {
    return remaining.get();
  }

  @Override
  public Snakepit snakepit() {
    if (!owner.isStarted()) {
      throw new IllegalStateException("the pool is still starting: host tool handlers can use it once Snakepit.start returned");
    }
    return owner;
  }

  @Override
  public ToolResult execute(String tool, Map<String, ?> arguments) {
    return execute(tool, arguments, CallOptions.defaults());
  }

  @Override
  public ToolResult execute(String tool, Map<String, ?> arguments, CallOptions options) {
    Objects.requireNonNull(options, "options");
    return snakepit().execute(tool, arguments, nestedOptions(tool, options));
  }

  /** The nested call's options: this call's session and correlation id, and a budget ending before this call's. */
  CallOptions nestedOptions(String tool, CallOptions options) {
    var remaining = remaining();
    var reserve = remaining.dividedBy(5);
    reserve = reserve.compareTo(MIN_RESERVE) < 0 ? MIN_RESERVE : reserve.compareTo(MAX_RESERVE) > 0 ? MAX_RESERVE : reserve;
    var budget = remaining.minus(reserve);
    if (budget.isNegative() || budget.isZero()) {
      throw new CallTimeoutException(tool, null, remaining, CallTimeoutException.Phase.QUEUED,
          "Host tool '" + toolName + "' had no time left for a nested call.");
    }
    var timeout = options.timeoutOverride().filter(t -> t.compareTo(budget) < 0).orElse(budget);
    var nested = options.withTimeout(timeout);
    if ((options.sessionId() == null || options.sessionId().isEmpty()) && sessionId != null) {
      nested = nested.withSessionId(sessionId);
    }
    var correlation = metadata.get("correlation_id");
    if (correlation != null && !options.metadata().containsKey("correlation_id")) {
      nested = nested.withMetadata("correlation_id", correlation);
    }
    return nested;
  }
}
