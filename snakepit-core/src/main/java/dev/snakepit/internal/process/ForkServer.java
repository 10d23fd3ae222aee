package dev.snakepit.internal.process;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.StartupFailedException;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.telemetry.WorkerOutput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * pool's private run directory, two connections per worker.
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
  private final ServerSocketChannel outputServer;
  private final Thread acceptor;
  private final Map<String, ForkedProcess> awaitingOutput = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private State state = State.STARTING;
  private Template template;
  private String unavailableReason;
  private Duration nextBackoff;
  private boolean everReady;

  private ForkServer(Settings settings, WorkerRegistry registry) throws IOException {
    this.settings = settings;
    this.registry = registry;
    this.nextBackoff = settings.backoffInitial();
    this.scheduler = Executors.newSingleThreadScheduledExecutor(new NamedThreadFactory(settings.poolName(), "template"));
    Files.deleteIfExists(settings.socket());
    this.outputServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    outputServer.bind(UnixDomainSocketAddress.of(settings.socket()), 64);
    this.acceptor = NamedThreadFactory.start(settings.poolName(), "fork-output", this::acceptOutput);
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
    Template current;
    synchronized (lock) {
      if (state != State.READY) {
        return null;
      }
      current = template;
    }
    var child = new ForkedProcess(spec.workerId());
    awaitingOutput.put(spec.workerId(), child);
    current.pending.put(spec.workerId(), child);
    var request = new LinkedHashMap<String, Object>();
    request.put("op", "fork");
    request.put("id", spec.workerId());
    request.put("argv", arguments);
    request.put("env", spec.environment());
    request.put("cwd", spec.workingDirectory() == null ? null : spec.workingDirectory().toString());
    request.put("output", settings.socket().toString());
    try {
      current.send(request);
      child.attached().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return child;
    } catch (ExecutionException e) {
      awaitingOutput.remove(spec.workerId());
      if (e.getCause() instanceof TemplateGone) {
        return null; // the template died meanwhile: spawn this one
      }
      throw new StartupFailedException(spec.workerId(), "the template could not fork it: " + e.getCause().getMessage(),
          null, current.stderr.text(), e.getCause());
    } catch (IOException e) {
      awaitingOutput.remove(spec.workerId());
      return null;
    } catch (TimeoutException e) {
      awaitingOutput.remove(spec.workerId());
      throw new StartupFailedException(spec.workerId(), "the template did not answer a fork request within "
          + timeout.toMillis() + " ms", null, current.stderr.text(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      awaitingOutput.remove(spec.workerId());
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
    Template started;
    try {
      started = new Template(builder.start());
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
    LOG.info("Pool {}: workers are spawned, not forked: {}{}", settings.poolName(), reason,
        stderrTail == null || stderrTail.isBlank() ? "" : "\n" + stderrTail);
  }

  /** The template's control channel closed: it died. */
  private void templateGone(Template gone) {
    gone.pending.values().forEach(child -> child.failed(new TemplateGone()));
    // Workers it forked die with it (parent-death signal); those already reaped report an unknown code.
    gone.forked.values().stream().filter(child -> !child.isAlive()).forEach(child -> child.exited(ForkedProcess.UNKNOWN_EXIT));
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

  // ---------------------------------------------------------------------------------------------
  // Worker output
  // ---------------------------------------------------------------------------------------------

  private void acceptOutput() {
    while (outputServer.isOpen()) {
      SocketChannel channel;
      try {
        channel = outputServer.accept();
      } catch (IOException e) {
        return; // closed
      }
      try {
        var header = readHeader(channel);
        var parts = header.split(" ");
        var child = parts.length == 2 ? awaitingOutput.get(parts[0]) : null;
        if (child == null || !child.connected(parts[1], Channels.newInputStream(channel))) {
          LOG.debug("Pool {}: dropping an output connection announced as '{}'", settings.poolName(), header);
          channel.close();
        } else if (child.outputConnected()) {
          awaitingOutput.remove(parts[0], child);
        }
      } catch (IOException e) {
        closeQuietly(channel);
      }
    }
  }

  private static String readHeader(SocketChannel channel) throws IOException {
    var buffer = ByteBuffer.allocate(1);
    var text = new StringBuilder();
    while (text.length() < 256) {
      buffer.clear();
      if (channel.read(buffer) < 0) {
        break;
      }
      char c = (char) buffer.get(0);
      if (c == '\n') {
        return text.toString();
      }
      text.append(c);
    }
    throw new IOException("no header line");
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  /**
   * Stops the template (its forked workers get their parent-death signal: stop them first) and
   * the output socket.
   */
  @Override
  public void close() {
    Template current;
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
    closeQuietly(outputServer);
    try {
      acceptor.join(1000);
      scheduler.awaitTermination(2, TimeUnit.SECONDS);
      Files.deleteIfExists(settings.socket());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.debug("Could not delete {}", settings.socket(), e);
    }
    awaitingOutput.clear();
  }

  /** A template died while a fork request waited. */
  private static final class TemplateGone extends Exception {
    TemplateGone() {
      super("the template exited", null, false, false);
    }
  }

  /** One template process: its control channel, stderr and the workers it forked. */
  private final class Template {
    final Process process;
    final OutputStream control;
    final OutputTail stderr = new OutputTail(60, 8192);
    final CompletableFuture<JsonNode> ready = new CompletableFuture<>();
    final Map<String, ForkedProcess> pending = new ConcurrentHashMap<>();
    final Map<Long, ForkedProcess> forked = new ConcurrentHashMap<>();
    final Thread reader;
    final Thread stderrPump;

    Template(Process process) {
      this.process = process;
      this.control = process.getOutputStream();
      var output = new WorkerOutput(settings.poolName(), settings.templateId(), "stderr", settings.output());
      this.stderrPump = NamedThreadFactory.start(settings.templateId(), "stderr", () -> pump(process.getErrorStream(), output));
      this.reader = NamedThreadFactory.start(settings.templateId(), "control", this::read);
    }

    void send(Map<String, Object> request) throws IOException {
      var line = Json.write(request);
      synchronized (control) {
        control.write(line);
        control.write('\n');
        control.flush();
      }
    }

    private void read() {
      try (var events = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = events.readLine()) != null) {
          handle(Json.readTree(line.getBytes(StandardCharsets.UTF_8), "template event"));
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("Pool {}: template control channel: {}", settings.poolName(), e.toString());
      }
      waitForExit();
      ready.completeExceptionally(new TemplateGone());
      // Its forked workers die with it; a worker the template could not report keeps the backstop.
      templateGone(this);
    }

    private void handle(JsonNode event) {
      switch (event.path("event").asText()) {
        case "ready", "failed" -> ready.complete(event);
        case "forked" -> {
          var child = pending.get(event.path("id").asText());
          if (child != null) {
            child.attach(event.path("pid").asLong());
            forked.put(child.pid(), child);
          }
        }
        case "error" -> {
          var child = pending.get(event.path("id").asText());
          if (child != null) {
            child.failed(new IOException(event.path("message").asText("fork failed")));
          }
        }
        case "exit" -> {
          var child = forked.remove(event.path("pid").asLong());
          if (child != null) {
            child.exited(event.path("code").asInt(ForkedProcess.UNKNOWN_EXIT));
          }
        }
        default -> LOG.debug("Pool {}: ignoring template event {}", settings.poolName(), event);
      }
    }

    private void pump(InputStream stream, WorkerOutput output) {
      try (var lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          var text = output.accept(line);
          text.lines().forEach(stderr::add);
        }
      } catch (IOException e) {
        // the template died
      }
    }

    private void waitForExit() {
      try {
        process.waitFor(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    String exitCode() {
      return process.isAlive() ? "?" : Integer.toString(process.exitValue());
    }

    /** EOF on its control channel: it exits; killed if it does not within two seconds. */
    void stop() {
      closeQuietly(control);
      try {
        if (!process.waitFor(2, TimeUnit.SECONDS)) {
          kill();
        }
        stderrPump.join(1000);
        reader.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        kill();
      }
    }

    void kill() {
      process.destroyForcibly();
      closeQuietly(control);
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
