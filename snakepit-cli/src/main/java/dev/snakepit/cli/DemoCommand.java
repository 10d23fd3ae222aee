package dev.snakepit.cli;

import dev.snakepit.CallOptions;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.PythonException;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamChunk;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit demo}: a guided tour of the showcase adapter. Each step is one feature (plain
 * results, JSON round trips, streaming, bytes, parallel calls, Python errors, timeouts), printed as
 * one line with what happened and how long it took. Exits 0 when every step behaved as expected.
 */
@Command(
    name = "demo",
    sortOptions = false,
    header = "Tour every feature against the showcase adapter, with timings.",
    description = {
      "A tour of Snakepit against the showcase adapter: results, streaming, bytes,",
      "parallel calls, a Python error with its traceback and a timeout that cancels",
      "Python, each step with its timing.",
      ""
    })
final class DemoCommand implements Callable<Integer> {
  private static final int NAME_WIDTH = 13;
  private static final int DETAIL_WIDTH = 54;
  private static final int BAR_WIDTH = 24;
  private static final int TRACEBACK_LINES = 8;
  private static final Pattern FRAME = Pattern.compile("\\s*File \"([^\"]+)\", line \\d+");
  private static final Pattern ANSI = Pattern.compile("\u001b\\[[0-9;]*m");

  @ParentCommand
  SnakepitCli root;

  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2", description = "Workers in the pool (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--python", paramLabel = "PATH",
      description = "Python interpreter (default: $SNAKEPIT_PYTHON, else the repo's .venv, else python3).")
  Path python;

  @Option(names = "--binary-mib", paramLabel = "MIB", defaultValue = "16",
      description = "Size of the binary round trip in MiB (default: ${DEFAULT-VALUE}).")
  int binaryMib;

  @Option(names = "--stream-steps", paramLabel = "N", defaultValue = "10",
      description = "Chunks the streaming step asks for (default: ${DEFAULT-VALUE}).")
  int streamSteps;

  private Terminal term;
  private PrintWriter out;
  private int passed;
  private int failed;

  /** One step of the tour: does its thing and returns the line's detail, or throws. */
  @FunctionalInterface
  private interface Step {
    Outcome run(Snakepit pit) throws Exception;
  }

  /** What a step shows: its one-line detail, and optionally lines printed under it. */
  private record Outcome(String detail, List<String> below) {
    static Outcome of(String detail) {
      return new Outcome(detail, List.of());
    }
  }

  @Override
  public Integer call() {
    var commandLine = spec.commandLine();
    term = root.terminal();
    out = commandLine.getOut();
    var builder = SnakepitConfig.builder().poolName("demo");
    try {
      builder.workers(workers);
      if (python != null) {
        builder.python(python);
      }
      if (binaryMib < 1 || binaryMib > 100) {
        throw new IllegalArgumentException("--binary-mib must be between 1 and 100, was " + binaryMib);
      }
      if (streamSteps < 1 || streamSteps > 1000) {
        throw new IllegalArgumentException("--stream-steps must be between 1 and 1000, was " + streamSteps);
      }
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(commandLine, e.getMessage());
    }
    var config = builder.build();

    out.println(term.bold("Snakepit demo") + term.dim(" · a tour of the showcase adapter"));
    out.println(term.dim("  python   ") + config.python());
    out.println(term.dim("  adapter  ") + config.adapter());
    out.println();
    out.flush();

    long tourStart = System.nanoTime();
    Snakepit pit;
    try {
      long start = System.nanoTime();
      pit = Snakepit.start(config);
      var pids = pit.workerPids().stream().map(String::valueOf).collect(Collectors.joining(", "));
      line(term.ok(), "start pool", workers + (workers == 1 ? " worker" : " workers") + " ready (pid " + pids + ")", System.nanoTime() - start);
      passed++;
    } catch (SnakepitException e) {
      line(term.fail(), "start pool", firstLine(e.getMessage()), 0);
      e.getMessage().lines().skip(1).forEach(l -> out.println("     " + term.dim("│ " + l)));
      out.println();
      out.println("The workers did not start. Run " + term.bold("./snakepit doctor") + " to see what is missing.");
      out.flush();
      return 1;
    }

    long closeNanos;
    try {
      step(pit, "ping", this::ping);
      step(pit, "echo", this::echo);
      step(pit, "add", this::add);
      step(pit, "adapter_info", this::adapterInfo);
      step(pit, "process_text", this::processText);
      streamStep(pit);
      step(pit, "echo_bytes", this::binary);
      step(pit, "parallel", this::parallel);
      step(pit, "python error", this::pythonError);
      step(pit, "timeout", this::timeout);
      step(pit, "recovery", this::recovery);
    } finally {
      long closeStart = System.nanoTime();
      var stats = pit.stats();
      pit.close();
      closeNanos = System.nanoTime() - closeStart;
      out.println();
      var summary = failed == 0
          ? term.green("All " + passed + " steps passed")
          : term.red(failed + " of " + (passed + failed) + " steps failed");
      out.println(" " + summary + " in " + seconds(System.nanoTime() - tourStart) + term.dim(" · ")
          + stats.completedCalls() + " calls completed, " + stats.failedCalls() + " failed on purpose"
          + term.dim(" · ") + "pool closed in " + millis(closeNanos));
      out.flush();
    }
    return failed == 0 ? 0 : 1;
  }

  // ---- the steps --------------------------------------------------------------------------------

  private Outcome ping(Snakepit pit) {
    var reply = pit.execute("ping", Map.of("message", "hello from Java")).asJson();
    return Outcome.of("\"" + reply.path("message").asText() + "\" came back from " + reply.path("worker_id").asText());
  }

  private Outcome echo(Snakepit pit) {
    var sent = new LinkedHashMap<String, Object>();
    sent.put("numbers", List.of(1, 2.5, -3));
    sent.put("nested", Map.of("ok", true, "list", List.of("a", "b")));
    sent.put("text", "héllo wörld 🐍");
    sent.put("nothing", null);
    var back = pit.execute("echo", Map.of("message", sent)).asJson();
    if (!back.equals(CliJson.tree(sent))) {
      throw new IllegalStateException("echo changed the value: sent " + CliJson.tree(sent) + ", got " + back);
    }
    return Outcome.of("nested JSON with unicode came back identical");
  }

  private Outcome add(Snakepit pit) {
    long four = pit.execute("add", Map.of("a", 2, "b", 2)).asLong();
    double twoAndAHalf = pit.execute("add", Map.of("a", 2, "b", 0.5)).asDouble();
    if (four != 4 || twoAndAHalf != 2.5) {
      throw new IllegalStateException("arithmetic is off: 2 + 2 = " + four + ", 2 + 0.5 = " + twoAndAHalf);
    }
    return Outcome.of("2 + 2 = " + four + " (an int)  ·  2 + 0.5 = " + twoAndAHalf);
  }

  private Outcome adapterInfo(Snakepit pit) {
    var info = pit.execute("adapter_info").asJson();
    return Outcome.of("Python " + info.path("python_version").asText() + " · grpcio " + info.path("grpcio_version").asText()
        + " · protobuf " + info.path("protobuf_version").asText());
  }

  private Outcome processText(Snakepit pit) {
    var text = "Snakepit for Java";
    var reversed = pit.execute("process_text", Map.of("text", text, "operation", "reverse")).asJson().path("result").asText();
    return Outcome.of("\"" + text + "\" reversed is \"" + reversed + "\"");
  }

  private void streamStep(Snakepit pit) {
    var name = "stream";
    long start = System.nanoTime();
    try {
      int delayMs = 80;
      long firstChunkNanos = -1;
      int chunks = 0;
      try (var stream = pit.stream("stream_progress", Map.of("steps", streamSteps, "delay_ms", delayMs))) {
        while (stream.hasNext()) {
          StreamChunk chunk = stream.next();
          if (chunk.isEmpty()) {
            continue;
          }
          if (firstChunkNanos < 0) {
            firstChunkNanos = System.nanoTime() - start;
          }
          chunks++;
          var update = chunk.asJson();
          progress(update.path("step").asInt(), update.path("total").asInt(), System.nanoTime() - start);
        }
      }
      if (term.interactive()) {
        out.print("\r\u001b[K");
      }
      if (chunks != streamSteps) {
        throw new IllegalStateException("expected " + streamSteps + " chunks, got " + chunks);
      }
      line(term.ok(), name, chunks + " chunks shown as they arrived, first after " + millis(firstChunkNanos),
          System.nanoTime() - start);
      passed++;
    } catch (Exception e) {
      if (term.interactive()) {
        out.print("\r\u001b[K");
      }
      stepFailed(name, e, System.nanoTime() - start);
    }
  }

  private void progress(int step, int total, long elapsedNanos) {
    int filled = total == 0 ? 0 : step * BAR_WIDTH / total;
    var bar = "█".repeat(filled) + "░".repeat(BAR_WIDTH - filled);
    var percent = String.format(Locale.ROOT, "%3d%%", total == 0 ? 0 : step * 100 / total);
    var text = term.cyan(bar) + " " + percent + "  step " + step + " of " + total + term.dim("  " + millis(elapsedNanos));
    if (term.interactive()) {
      out.print("\r\u001b[K " + term.dim("⋯") + " " + pad("stream", NAME_WIDTH) + " " + text);
    } else {
      out.println("     " + term.dim("│ ") + text);
    }
    out.flush();
  }

  private Outcome binary(Snakepit pit) {
    int size = binaryMib * 1024 * 1024;
    var payload = new byte[size];
    new Random(42).nextBytes(payload);
    var sent = CallCommand.sha256(ByteBuffer.wrap(payload));
    long start = System.nanoTime();
    var result = pit.execute("echo_bytes", Map.of("data", payload));
    long elapsed = System.nanoTime() - start;
    if (!result.isBinary()) {
      throw new IllegalStateException("echo_bytes returned JSON, not bytes: " + result.json());
    }
    var received = CallCommand.sha256(result.byteBuffer());
    if (!received.equals(sent)) {
      throw new IllegalStateException("SHA-256 differs: sent " + sent.substring(0, 12) + "…, got " + received.substring(0, 12) + "…");
    }
    double megabytesPerSecond = 2.0 * size / 1_000_000 / (elapsed / 1e9);
    return Outcome.of(binaryMib + " MiB up and back, SHA-256 matches · "
        + String.format(Locale.ROOT, "%,.0f MB/s", megabytesPerSecond));
  }

  private Outcome parallel(Snakepit pit) {
    int calls = workers * 2;
    int sleepMs = 150;
    long start = System.nanoTime();
    var futures = new ArrayList<CompletableFuture<?>>();
    for (int i = 0; i < calls; i++) {
      futures.add(pit.executeAsync("sleep", Map.of("ms", sleepMs)));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    return Outcome.of(calls + " × sleep(" + sleepMs + " ms) at once: " + (calls * sleepMs) + " ms of work in "
        + elapsedMs + " ms");
  }

  private Outcome pythonError(Snakepit pit) {
    try {
      pit.execute("fail", Map.of("error_type", "ValueError", "message", "the demo asked for this"));
    } catch (PythonException e) {
      return new Outcome(e.pythonType() + " raised in Python, caught as " + e.getClass().getSimpleName(),
          traceback(e.traceback()).stream().map(l -> "     " + term.dim("│ ") + l).toList());
    }
    throw new IllegalStateException("fail did not fail");
  }

  private Outcome timeout(Snakepit pit) {
    var budget = Duration.ofMillis(300);
    long start = System.nanoTime();
    try {
      pit.execute("sleep", Map.of("ms", 10_000), CallOptions.defaults().withTimeout(budget));
    } catch (CallTimeoutException e) {
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      if (e.phase() != CallTimeoutException.Phase.RUNNING || elapsedMs > 5_000) {
        throw new IllegalStateException("expected a timeout while running within seconds, got " + e.getMessage());
      }
      return Outcome.of("sleep(10 s) cancelled in Python by a " + budget.toMillis() + " ms budget");
    }
    throw new IllegalStateException("a 10 s sleep finished within a 300 ms budget");
  }

  private Outcome recovery(Snakepit pit) {
    pit.execute("ping");
    // After a timeout the pool checks that the worker really stopped the call before trusting it
    // again (or replaces it); wait, with a bound, until every worker is ready.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    var stats = pit.stats();
    while ((stats.workers() < workers || stats.retiring() > 0 || stats.starting() > 0) && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
      stats = pit.stats();
    }
    if (stats.workers() < workers) {
      throw new IllegalStateException("the pool did not recover within 10 s: " + stats);
    }
    return Outcome.of("all " + stats.workers() + (stats.workers() == 1 ? " worker" : " workers") + " ready again, "
        + stats.crashes() + " crashed, " + stats.restarts() + " restarted");
  }

  // ---- printing ---------------------------------------------------------------------------------

  private void step(Snakepit pit, String name, Step step) {
    long start = System.nanoTime();
    Outcome outcome;
    try {
      outcome = step.run(pit);
    } catch (Exception e) {
      stepFailed(name, e, System.nanoTime() - start);
      return;
    }
    line(term.ok(), name, outcome.detail(), System.nanoTime() - start);
    outcome.below().forEach(out::println);
    out.flush();
    passed++;
  }

  private void stepFailed(String name, Exception e, long nanos) {
    failed++;
    var message = e instanceof SnakepitException ? e.getClass().getSimpleName() + ": " + e.getMessage() : e.toString();
    line(term.fail(), name, term.red(firstLine(message)), nanos);
    message.lines().skip(1).limit(TRACEBACK_LINES).forEach(l -> out.println("     " + term.dim("│ " + l)));
    out.flush();
  }

  private void line(String mark, String name, String detail, long nanos) {
    var time = nanos > 0 ? millis(nanos) : "";
    int visible = visibleLength(detail);
    var gap = visible < DETAIL_WIDTH ? " ".repeat(DETAIL_WIDTH - visible) : "";
    var timing = time.length() < 9 ? " ".repeat(9 - time.length()) + time : " " + time;
    out.println(" " + mark + " " + term.bold(pad(name, NAME_WIDTH)) + " " + detail + gap + term.dim(timing));
    out.flush();
  }

  private static String pad(String text, int width) {
    return ToolsCommand.pad(text, width);
  }

  private static int visibleLength(String text) {
    var plain = ANSI.matcher(text).replaceAll("");
    return plain.codePointCount(0, plain.length());
  }

  /** A duration as milliseconds: one decimal below 10 ms, whole and grouped above. */
  static String millis(long nanos) {
    double ms = nanos / 1e6;
    return ms < 10 ? String.format(Locale.ROOT, "%.1f ms", ms) : String.format(Locale.ROOT, "%,d ms", Math.round(ms));
  }

  /**
   * The traceback as the demo shows it: Python 3.11's {@code ^^^} marker lines dropped, and the
   * frames of the bridge and the standard library before the tool's own frames elided.
   */
  private List<String> traceback(String traceback) {
    var lines = traceback.stripTrailing().lines().filter(l -> !l.strip().matches("[~^]+")).toList();
    int firstToolFrame = -1;
    for (int i = lines.size() - 1; i > 0; i--) {
      var frame = FRAME.matcher(lines.get(i));
      if (frame.lookingAt()) {
        if (isMachinery(frame.group(1))) {
          break;
        }
        firstToolFrame = i;
      }
    }
    if (firstToolFrame <= 1) {
      return lines.size() <= TRACEBACK_LINES ? lines : lines.subList(lines.size() - TRACEBACK_LINES, lines.size());
    }
    int elided = (int) lines.subList(1, firstToolFrame).stream().filter(l -> FRAME.matcher(l).lookingAt()).count();
    var shown = new ArrayList<String>();
    shown.add(lines.getFirst());
    shown.add(term.dim("  … " + elided + " frames of the bridge and the standard library …"));
    shown.addAll(lines.subList(firstToolFrame, lines.size()));
    return shown;
  }

  private static boolean isMachinery(String file) {
    var path = file.replace('\\', '/');
    return (path.contains("/snakepit_bridge/") && !path.contains("/snakepit_bridge/adapters/"))
        || path.matches(".*/lib/python3[.0-9]*/[^/]+(/[^/]+)*") && !path.contains("/site-packages/");
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  private static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
