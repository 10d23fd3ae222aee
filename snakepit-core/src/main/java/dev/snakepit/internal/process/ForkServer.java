package dev.snakepit.internal.process;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.StartMode;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.telemetry.WorkerOutput;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's fork server: one template process ({@code python -m snakepit_bridge.zygote}) that
 * imported the adapter once and forks workers on request (protocol: docs/start-modes.md).
 *
 * <p>{@link #fork} returns {@code null} whenever forking is not possible right now (the template
 * found forking unsafe, failed, or is restarting): the caller spawns the worker instead. A template
 * that dies is restarted with exponential back-off; its forked workers die with it (parent-death
 * signal) and are replaced like any crashed worker. Worker output arrives on a Unix socket in the
 * pool's private run directory ({@link ForkOutputSocket}), two connections per worker; {@link TemplateProcess}
 * is one running template.
 */
public final class ForkServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("dev.snakepit.worker");

  /**
   * What the fork server needs.
   *
   * @param poolName for thread names and logs
   * @param templateId the id the template has in logs and in the worker registry
   * @param command the template's command line
   * @param environment the template's environment
   * @param workingDirectory the template's working directory, or null
   * @param socket the output socket's path (in the pool's private run directory)
   * @param startupTimeout how long the template may take to import and report
   * @param backoffInitial first restart delay after a crash
   * @param backoffMax longest restart delay
   * @param required true for start mode FORK: a template that cannot fork fails the pool's start
   * @param output how the template's own stderr is forwarded
   */
  public record Settings(String poolName, String templateId, List<String> command, Map<String, String> environment,
      Path workingDirectory, Path socket, Duration startupTimeout, Duration backoffInitial, Duration backoffMax,
      boolean required, WorkerOutput.Settings output) {}

  private enum State { STARTING, READY, DOWN, UNAVAILABLE, CLOSED }

  private final Settings settings;
  private final WorkerRegistry registry;
  private final ScheduledExecutorService scheduler;
  private final ForkOutputSocket output;
  private final Object lock = new Object();
  private State state = State.STARTING;
  private TemplateProcess template;
  private String unavailableReason;
  private Duration nextBackoff;
  private boolean everReady;

  private ForkServer(Settings settings, WorkerRegistry registry) throws IOException {
    this.settings = settings;
    this.registry = registry;
    this.nextBackoff = settings.backoffInitial();
    this.scheduler = Executors.newSingleThreadScheduledExecutor(new NamedThreadFactory(settings.poolName(), "template"));
    try {
      this.output = new ForkOutputSocket(settings.poolName(), settings.socket());
    } catch (IOException | RuntimeException e) {
      scheduler.shutdownNow();
      throw e;
    }
  }

  /**
   * Starts the template and waits until it reported (bounded by the start-up timeout). Returns
   * null when the pool cannot fork (unsafe, or the template failed): the reason is logged once
   * and workers are spawned; with {@code required} (start mode FORK) that fails instead.
   */
  public static ForkServer start(Settings settings, WorkerRegistry registry) {
    ForkServer server;
    try {
      server = new ForkServer(settings, registry);
    } catch (IOException | RuntimeException e) {
      var reason = "cannot open the fork server's output socket " + settings.socket() + ": " + e.getMessage();
      if (settings.required()) {
        throw new StartupFailedException(settings.templateId(), reason, null, null, e);
      }
      LOG.info("Pool {}: workers are spawned, not forked: {}", settings.poolName(), reason);
      return null;
    }
    try {
      server.scheduler.submit(server::startTemplate).get();
    } catch (ExecutionException e) {
      server.close();
      throw e.getCause() instanceof RuntimeException re ? re
          : new StartupFailedException(settings.templateId(), String.valueOf(e.getCause()), null, null, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.close();
      throw new StartupFailedException(settings.templateId(), "interrupted while starting the template", null, null, e);
    }
    if (server.unavailableReason() != null) {
      server.close(); // forking is unsafe or the template failed: said once in the log, workers are spawned
      return null;
    }
    return server;
  }

  /**
   * Why this config's workers are spawned whatever the template would say, or null when the pool
   * should try to fork: start mode SPAWN, a worker script (Snakepit-compatible workers), a custom
   * worker module in start mode AUTO, or a platform other than Linux.
   */
  public static String spawnReason(SnakepitConfig config) {
    if (config.startMode() == StartMode.SPAWN) {
      return "start mode SPAWN";
    }
    if (config.workerScript() != null) {
      return "the workers run a script (" + config.workerScript().getFileName() + "), started as Snakepit-compatible workers";
    }
    if (config.startMode() == StartMode.AUTO && !SnakepitConfig.DEFAULT_WORKER_MODULE.equals(config.workerModule())) {
      return "the worker module " + config.workerModule() + " is not " + SnakepitConfig.DEFAULT_WORKER_MODULE;
    }
    var os = System.getProperty("os.name", "");
    if (!os.toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      return "fork is only used on Linux (" + os + ")";
    }
    return null;
  }

  /** Why workers are spawned instead of forked, or null while forking works. */
  public String unavailableReason() {
    synchronized (lock) {
      return switch (state) {
        case READY -> null;
        case UNAVAILABLE -> unavailableReason;
        case STARTING, DOWN -> "the template is restarting";
        case CLOSED -> "the fork server is closed";
      };
    }
  }

  /** The template's pid while it runs. */
  public OptionalLong templatePid() {
    synchronized (lock) {
      return template != null && template.process.isAlive() ? OptionalLong.of(template.process.pid()) : OptionalLong.empty();
    }
  }

  /**
   * Forks the worker {@code spec} describes; returns null when forking is not possible now (spawn
   * it instead).
   *
   * @param arguments the worker's arguments (its command line after the interpreter and module)
   * @throws StartupFailedException when the template refused or did not answer within {@code timeout}
   */
  public Process fork(LaunchSpec spec, List<String> arguments, Duration timeout) {
    TemplateProcess current;
    synchronized (lock) {
      if (state != State.READY) {
        return null;
      }
      current = template;
    }
    var child = new ForkedProcess(spec.workerId());
    output.expect(spec.workerId(), child);
    current.pending.put(spec.workerId(), child);
    var request = new LinkedHashMap<String, Object>();
    request.put("op", "fork");
    request.put("id", spec.workerId());
    request.put("argv", arguments);
    request.put("env", spec.environment());
    request.put("cwd", spec.workingDirectory() == null ? null : spec.workingDirectory().toString());
    request.put("output", output.path().toString());
    try {
      current.send(request);
      child.attached().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return child;
    } catch (ExecutionException e) {
      output.forget(spec.workerId());
      if (e.getCause() instanceof TemplateProcess.Gone) {
        return null; // the template died meanwhile: spawn this one
      }
      throw new StartupFailedException(spec.workerId(), "the template could not fork it: " + e.getCause().getMessage(),
          null, current.stderr.text(), e.getCause());
    } catch (IOException e) {
      output.forget(spec.workerId());
      return null;
    } catch (TimeoutException e) {
      output.forget(spec.workerId());
      throw new StartupFailedException(spec.workerId(), "the template did not answer a fork request within "
          + timeout.toMillis() + " ms", null, current.stderr.text(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      output.forget(spec.workerId());
      throw new StartupFailedException(spec.workerId(), "interrupted while forking", null, null, e);
    } finally {
      current.pending.remove(spec.workerId());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The template's life
  // ---------------------------------------------------------------------------------------------

  /** Runs on the template thread (long-lived: Linux ties parent-death signals to the spawning thread). */
  private void startTemplate() {
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.STARTING;
    }
    var builder = new ProcessBuilder(settings.command());
    builder.environment().putAll(settings.environment());
    if (settings.workingDirectory() != null) {
      builder.directory(settings.workingDirectory().toFile());
    }
    builder.redirectInput(ProcessBuilder.Redirect.PIPE);
    TemplateProcess started;
    try {
      started = new TemplateProcess(builder.start(), settings.poolName(), settings.templateId(), settings.output(),
          this::templateGone);
    } catch (IOException e) {
      giveUp("cannot run '" + settings.command().getFirst() + "': " + e.getMessage(), null, e);
      return;
    }
    registry.add(settings.templateId(), started.process.toHandle());
    JsonNode first;
    try {
      first = started.ready.get(settings.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      started.kill();
      registry.remove(settings.templateId());
      var why = e instanceof TimeoutException ? "did not report within the start-up timeout of "
          + settings.startupTimeout().toMillis() + " ms" : "exited before it was ready";
      giveUp("the template " + why, started.stderr.text(), e);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      started.kill();
      registry.remove(settings.templateId());
      return;
    }
    if (!first.path("fork").asBoolean(false)) {
      started.kill();
      registry.remove(settings.templateId());
      var failed = "failed".equals(first.path("event").asText());
      giveUp(failed ? "the template could not import the adapter: " + first.path("message").asText()
          : first.path("reason").asText("forking is unsafe"), failed ? started.stderr.text() : null, null);
      return;
    }
    synchronized (lock) {
      if (state == State.CLOSED) {
        started.kill();
        return;
      }
      template = started;
      state = State.READY;
      everReady = true;
      nextBackoff = settings.backoffInitial();
    }
    LOG.debug("Pool {}: template pid {} ready to fork ({} ms of imports)", settings.poolName(), started.process.pid(),
        first.path("import_ms").asText());
  }

  private void giveUp(String reason, String stderrTail, Throwable cause) {
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      if (everReady) {
        // A restart that failed: keep trying (back-off) while workers are spawned meanwhile.
        scheduleRestart("it failed to restart: " + reason);
        return;
      }
      state = State.UNAVAILABLE;
      unavailableReason = reason;
    }
    if (settings.required()) {
      throw new StartupFailedException(settings.templateId(), "start mode FORK, but the pool cannot fork: " + reason
          + ". Use startMode(AUTO) to spawn workers in that case.", null, stderrTail, cause);
    }
    LOG.warn("Pool {}: workers are spawned, not forked: {}{}", settings.poolName(), reason,
        stderrTail == null || stderrTail.isBlank() ? "" : "\n" + stderrTail);
  }

  /** The template's control channel closed: it died. */
  private void templateGone(TemplateProcess gone) {
    gone.pending.values().forEach(child -> child.failed(new TemplateProcess.Gone()));
    // Workers it forked die with it (parent-death signal); nobody reports their exit codes now.
    gone.forked.values().forEach(ForkedProcess::watchWithoutTemplate);
    registry.remove(settings.templateId());
    synchronized (lock) {
      if (template != gone || state == State.CLOSED) {
        return;
      }
      template = null;
      scheduleRestart("exited with code " + gone.exitCode());
    }
  }

  private void scheduleRestart(String what) {
    var delay = nextBackoff;
    nextBackoff = Duration.ofMillis(Math.min(settings.backoffMax().toMillis(), delay.toMillis() * 2));
    state = State.DOWN;
    LOG.warn("Pool {}: the template {}; workers are spawned until it is back (restart in {} ms)", settings.poolName(),
        what, delay.toMillis());
    scheduler.schedule(this::startTemplate, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Stops the template (its forked workers get their parent-death signal: stop them first) and
   * the output socket.
   */
  @Override
  public void close() {
    TemplateProcess current;
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
      current = template;
      template = null;
    }
    scheduler.shutdownNow();
    if (current != null) {
      current.stop();
      registry.remove(settings.templateId());
    }
    output.close();
    try {
      scheduler.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
