package dev.snakepit.internal.process;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.codec.Json;
import dev.snakepit.internal.telemetry.WorkerOutput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running template process of a {@link ForkServer}: its control channel (JSON lines: fork
 * requests in, events out), its stderr, the workers it is forking and those it forked.
 */
final class TemplateProcess {
  private static final Logger LOG = LoggerFactory.getLogger("dev.snakepit.worker");

  /** A template died while a fork request waited. */
  static final class Gone extends Exception {
    private static final long serialVersionUID = 1L;

    Gone() {
      super("the template exited", null, false, false);
    }
  }

  final Process process;
  final OutputTail stderr = new OutputTail(60, 8192);
  /** The template's first event: "ready" (with whether it may fork) or "failed". */
  final CompletableFuture<JsonNode> ready = new CompletableFuture<>();
  /** Fork requests not answered yet, by worker id. */
  final Map<String, ForkedProcess> pending = new ConcurrentHashMap<>();
  /** Workers it forked that have not exited, by pid. */
  final Map<Long, ForkedProcess> forked = new ConcurrentHashMap<>();
  private final String poolName;
  private final OutputStream control;
  private final Consumer<TemplateProcess> onGone;
  private final Thread reader;
  private final Thread stderrPump;

  TemplateProcess(Process process, String poolName, String templateId, WorkerOutput.Settings output,
      Consumer<TemplateProcess> onGone) {
    this.process = process;
    this.poolName = poolName;
    this.control = process.getOutputStream();
    this.onGone = onGone;
    var forwarding = new WorkerOutput(poolName, templateId, "stderr", output);
    this.stderrPump = NamedThreadFactory.start(templateId, "stderr", () -> pump(process.getErrorStream(), forwarding));
    this.reader = NamedThreadFactory.start(templateId, "control", this::read);
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
      LOG.debug("Pool {}: template control channel: {}", poolName, e.toString());
    }
    waitForExit();
    ready.completeExceptionally(new Gone());
    // Its forked workers die with it; a worker the template could not report keeps the backstop.
    onGone.accept(this);
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
      default -> LOG.debug("Pool {}: ignoring template event {}", poolName, event);
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
    ForkOutputSocket.closeQuietly(control);
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
    ForkOutputSocket.closeQuietly(control);
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
