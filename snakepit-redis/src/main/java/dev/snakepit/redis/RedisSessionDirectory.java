package dev.snakepit.redis;

import dev.snakepit.SessionDirectory;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The session directory that several JVM replicas share: which remote worker incarnation holds a
 * session's state, so that the session's calls reach that worker from any replica.
 *
 * <p>Every binding lives in one Redis hash with a TTL that each use renews; a binding that nobody
 * touched for {@link Builder#ttl(Duration) ttl} disappears. Bindings carry a <em>fencing
 * token</em> from one counter that only grows: the first replica to bind a session wins (the others
 * get the same binding back from {@link #bindIfAbsent}), and a replica can move a session to a new
 * worker ({@link #rebind}) only by presenting the token it last saw, so two replicas can never bind
 * one session to two workers. Every operation is one atomic Lua script on the server.
 *
 * <p>Thread-safe; one instance per JVM, shared by all threads (one multiplexed connection). A Redis
 * that is down fails operations fast with a {@link SessionDirectoryException} naming it; the
 * connection is re-established in the background. Works with a single Redis server (or one behind
 * Sentinel); Redis Cluster is not supported (the scripts touch the shared token counter).
 *
 * <p>Give it to each replica's pool with {@code SnakepitConfig.Builder.sessionDirectory(directory)}
 * (it implements {@link SessionDirectory}); the pool then binds, renews, moves and releases sessions
 * here by itself.
 */
public final class RedisSessionDirectory implements SessionDirectory, AutoCloseable {
  // KEYS[1] binding hash, KEYS[2] token counter; ARGV endpoint, incarnation, ttl ms.
  private static final String BIND_IF_ABSENT = """
      local cur = redis.call('HMGET', KEYS[1], 'endpoint', 'incarnation', 'fence')
      if cur[1] then
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return {cur[1], cur[2], cur[3], '0'}
      end
      """ + newBinding(1);
  // KEYS[1] binding hash, KEYS[2] token counter; ARGV expected token, endpoint, incarnation, ttl ms.
  // An absent binding (expired or released) may be taken whatever token is presented.
  private static final String REBIND = """
      local cur = redis.call('HMGET', KEYS[1], 'endpoint', 'incarnation', 'fence')
      if cur[1] and cur[3] ~= ARGV[1] then
        return {cur[1], cur[2], cur[3], 'conflict'}
      end
      """ + newBinding(2);
  // KEYS[1] binding hash; ARGV token, ttl ms (0: delete). 1 when the token was current.
  private static final String TOUCH_OR_RELEASE = """
      if redis.call('HGET', KEYS[1], 'fence') ~= ARGV[1] then
        return 0
      end
      if ARGV[2] == '0' then
        redis.call('DEL', KEYS[1])
      else
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
      end
      return 1
      """;

  /** The tail of both binding scripts: a new token, the hash, its TTL; ARGV from {@code first}: endpoint, incarnation, ttl. */
  private static String newBinding(int first) {
    return """
        local fence = redis.call('INCR', KEYS[2])
        redis.call('HSET', KEYS[1], 'endpoint', ARGV[%1$d], 'incarnation', ARGV[%2$d], 'fence', fence)
        redis.call('PEXPIRE', KEYS[1], ARGV[%3$d])
        return {ARGV[%1$d], ARGV[%2$d], tostring(fence), '1'}
        """.formatted(first, first + 1, first + 2);
  }

  private final String redisName;
  private final String prefix;
  private final Duration ttl;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> redis;
  private final String bindSha;
  private final String rebindSha;
  private final String touchSha;

  private RedisSessionDirectory(Builder builder) {
    var uri = RedisURI.create(builder.uri);
    uri.setTimeout(builder.commandTimeout);
    this.redisName = uri.getHost() + ":" + uri.getPort();
    this.prefix = builder.keyPrefix;
    this.ttl = builder.ttl;
    this.client = RedisClient.create(uri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        // While disconnected, fail at once instead of queueing: the caller decides (route locally, retry).
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(builder.commandTimeout))
        .build());
    try {
      this.connection = client.connect();
      this.redis = connection.sync();
      this.bindSha = redis.scriptLoad(BIND_IF_ABSENT);
      this.rebindSha = redis.scriptLoad(REBIND);
      this.touchSha = redis.scriptLoad(TOUCH_OR_RELEASE);
    } catch (RedisException e) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      throw unavailable("connect", e);
    }
  }

  /**
   * Starts a builder for the Redis at {@code uri}.
   *
   * @param uri a Redis URI such as {@code redis://127.0.0.1:6379/0} or {@code rediss://:password@host:6380}
   * @return a builder with the defaults: prefix {@code snakepit:}, TTL 30 minutes, command timeout 2 s
   */
  public static Builder builder(String uri) {
    return new Builder(uri);
  }

  /**
   * Binds the session to {@code worker} unless it is bound already; either way renews the TTL and
   * returns the binding now in force. Replicas racing to bind one session all get the same answer.
   *
   * @param sessionId the session
   * @param worker the worker this replica would choose
   * @return the binding in force ({@link SessionBinding#created()} says whether it is ours)
   * @throws SessionDirectoryException when Redis cannot be reached in time
   */
  public SessionBinding bindIfAbsent(String sessionId, WorkerRef worker) {
    Objects.requireNonNull(worker, "worker");
    List<Object> reply = run("bind", bindSha, BIND_IF_ABSENT, ScriptOutputType.MULTI, sessionId,
        worker.endpoint(), worker.incarnationId(), Long.toString(ttl.toMillis()));
    return binding(sessionId, reply);
  }

  /**
   * Moves the session to {@code worker} (its previous worker is lost), provided the binding still
   * carries {@code expectedFencingToken}, or the session has no binding any more.
   *
   * @param sessionId the session
   * @param expectedFencingToken the token of the binding this replica saw
   * @param worker the new worker
   * @return the new binding, with a new, larger token
   * @throws FencingConflictException when another replica rebound the session first
   * @throws SessionDirectoryException when Redis cannot be reached in time
   */
  public SessionBinding rebind(String sessionId, long expectedFencingToken, WorkerRef worker) {
    Objects.requireNonNull(worker, "worker");
    List<Object> reply = run("rebind", rebindSha, REBIND, ScriptOutputType.MULTI, sessionId, Long.toString(expectedFencingToken),
        worker.endpoint(), worker.incarnationId(), Long.toString(ttl.toMillis()));
    var binding = binding(sessionId, reply);
    if ("conflict".equals(reply.get(3))) {
      throw new FencingConflictException(sessionId, expectedFencingToken, binding);
    }
    return binding;
  }

  /**
   * {@inheritDoc}
   *
   * @throws SessionDirectoryException when Redis cannot be reached in time
   */
  @Override
  public Binding bind(String sessionId, WorkerIncarnation candidate) {
    return poolView(bindIfAbsent(sessionId, workerRef(candidate)));
  }

  /**
   * {@inheritDoc} A move that lost the race to another replica answers the binding that won.
   *
   * @throws SessionDirectoryException when Redis cannot be reached in time
   */
  @Override
  public Binding move(String sessionId, long fencingToken, WorkerIncarnation to) {
    try {
      return poolView(rebind(sessionId, fencingToken, workerRef(to)));
    } catch (FencingConflictException e) {
      return poolView(e.current());
    }
  }

  private static WorkerRef workerRef(WorkerIncarnation worker) {
    return new WorkerRef(worker.endpoint(), worker.incarnationId());
  }

  private static Binding poolView(SessionBinding binding) {
    return new Binding(new WorkerIncarnation(binding.worker().endpoint(), binding.worker().incarnationId()),
        binding.fencingToken());
  }

  /**
   * The session's binding, without renewing it.
   *
   * @param sessionId the session
   * @return the binding, or empty when the session has none (never bound, released or expired)
   * @throws SessionDirectoryException when Redis cannot be reached in time
   */
  public Optional<SessionBinding> lookup(String sessionId) {
    List<String> values = call("lookup", () -> redis.hmget(key(sessionId), "endpoint", "incarnation", "fence"))
        .stream().map(kv -> kv.getValueOrElse(null)).toList();
    if (values.get(0) == null || values.get(1) == null || values.get(2) == null) {
      return Optional.empty();
    }
    return Optional.of(new SessionBinding(sessionId, new WorkerRef(values.get(0), values.get(1)),
        Long.parseLong(values.get(2)), false));
  }

  /**
   * Renews the binding's TTL, if {@code fencingToken} is still current.
   *
   * @param sessionId the session
   * @param fencingToken the token this replica holds
   * @return false when the binding is gone or belongs to a newer token
   */
  @Override
  public boolean touch(String sessionId, long fencingToken) {
    return isOne(run("touch", touchSha, TOUCH_OR_RELEASE, ScriptOutputType.INTEGER, sessionId, Long.toString(fencingToken),
        Long.toString(ttl.toMillis())));
  }

  /**
   * Removes the binding (the session was closed), if {@code fencingToken} is still current.
   *
   * @param sessionId the session
   * @param fencingToken the token this replica holds
   * @return false when the binding is gone or belongs to a newer token (then it is left alone)
   */
  @Override
  public boolean release(String sessionId, long fencingToken) {
    return isOne(run("release", touchSha, TOUCH_OR_RELEASE, ScriptOutputType.INTEGER, sessionId, Long.toString(fencingToken), "0"));
  }

  /** The binding TTL in force. */
  public Duration ttl() {
    return ttl;
  }

  /** Closes the connection and the client's threads. */
  @Override
  public void close() {
    try {
      connection.close();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  @Override
  public String toString() {
    return "RedisSessionDirectory[" + redisName + ", prefix=" + prefix + ", ttl=" + ttl + "]";
  }

  // ---------------------------------------------------------------------------------------------

  private String key(String sessionId) {
    return prefix + "session:" + WorkerRef.requireText(sessionId, "sessionId");
  }

  private <T> T run(String operation, String sha, String script, ScriptOutputType type, String sessionId,
      String... args) {
    String[] keys = {key(sessionId), prefix + "fence"};
    String[] usedKeys = script.equals(TOUCH_OR_RELEASE) ? new String[] {keys[0]} : keys;
    return call(operation, () -> {
      try {
        return redis.<T>evalsha(sha, type, usedKeys, args);
      } catch (RedisNoScriptException e) { // the server restarted or flushed its script cache
        return redis.<T>eval(script, type, usedKeys, args);
      }
    });
  }

  private <T> T call(String operation, Supplier<T> command) {
    try {
      return command.get();
    } catch (RedisException e) {
      throw unavailable(operation, e);
    }
  }

  private SessionDirectoryException unavailable(String operation, RedisException e) {
    return new SessionDirectoryException("session directory " + operation + " failed: Redis at " + redisName
        + " did not answer (" + e.getMessage() + "); check that it is running and reachable from this JVM", e);
  }

  private static SessionBinding binding(String sessionId, List<Object> reply) {
    return new SessionBinding(sessionId, new WorkerRef((String) reply.get(0), (String) reply.get(1)),
        Long.parseLong((String) reply.get(2)), "1".equals(reply.get(3)));
  }

  private static boolean isOne(Long reply) {
    return reply != null && reply == 1L;
  }

  /** Validated settings for a {@link RedisSessionDirectory}. */
  public static final class Builder {
    private final String uri;
    private String keyPrefix = "snakepit:";
    private Duration ttl = Duration.ofMinutes(30);
    private Duration commandTimeout = Duration.ofSeconds(2);

    private Builder(String uri) {
      Objects.requireNonNull(uri, "uri");
      if (!uri.startsWith("redis://") && !uri.startsWith("rediss://") && !uri.startsWith("redis-sentinel://")) {
        throw new IllegalArgumentException("uri must start with redis://, rediss:// or redis-sentinel://, got '" + uri + "'");
      }
      this.uri = uri;
    }

    /**
     * Prefix of every key (default {@code snakepit:}); give each application its own.
     *
     * @param keyPrefix non-blank
     * @return this builder
     */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = WorkerRef.requireText(keyPrefix, "keyPrefix");
      return this;
    }

    /**
     * How long a binding lives after its last use (default 30 minutes); match the pool's session TTL.
     *
     * @param ttl at least 1 ms
     * @return this builder
     */
    public Builder ttl(Duration ttl) {
      if (ttl == null || ttl.toMillis() < 1) {
        throw new IllegalArgumentException("ttl must be at least 1 ms, got " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /**
     * How long one Redis command may take before it fails (default 2 s).
     *
     * @param commandTimeout at least 1 ms
     * @return this builder
     */
    public Builder commandTimeout(Duration commandTimeout) {
      if (commandTimeout == null || commandTimeout.toMillis() < 1) {
        throw new IllegalArgumentException("commandTimeout must be at least 1 ms, got " + commandTimeout);
      }
      this.commandTimeout = commandTimeout;
      return this;
    }

    /**
     * Connects and returns the directory.
     *
     * @return a connected directory; close it when done
     * @throws SessionDirectoryException when Redis cannot be reached
     */
    public RedisSessionDirectory build() {
      return new RedisSessionDirectory(this);
    }
  }
}
