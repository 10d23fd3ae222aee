package dev.snakepit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.SnakepitException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit doctor}: checks, in order, the JDK, the Python interpreter, grpcio and protobuf in
 * it, that {@code snakepit_bridge} and the adapter import, and that a real worker starts and answers.
 * Each check prints a ✓, ! (warning) or ✗ line; a ✗ says how to fix it. Exits 1 when a check failed.
 */
@Command(
    name = "doctor",
    sortOptions = false,
    header = "Check the setup: JDK, Python, packages, adapter, a live worker.",
    description = {
      "Check that everything Snakepit needs is in place: the JDK, Python, grpcio and",
      "protobuf, snakepit_bridge, the adapter, and a worker that starts and answers.",
      "Exit status 1 when a check fails.",
      ""
    })
final class DoctorCommand implements Callable<Integer> {
  private static final int LABEL_WIDTH = 16;
  private static final long PROBE_TIMEOUT_SECONDS = 60;
  private static final String REPORT_MARKER = "SNAKEPIT-DOCTOR-REPORT ";
  private static final Pattern REQUIREMENT = Pattern.compile("\\s*([A-Za-z0-9_.-]+)\\s*(>=|==|~=|>)\\s*([0-9][0-9A-Za-z.]*)\\s*(;.*)?");

  /** Runs inside the interpreter under test; prints one marked JSON line. Adapter name in argv[1]. */
  private static final String PROBE = """
      import importlib, json, sys, traceback
      report = {"executable": sys.executable, "version": ".".join(map(str, sys.version_info[:3])),
                "in_venv": sys.prefix != sys.base_prefix, "modules": {}, "requires": []}
      for key, module in (("grpcio", "grpc"), ("protobuf", "google.protobuf"), ("snakepit_bridge", "snakepit_bridge")):
          try:
              m = importlib.import_module(module)
              report["modules"][key] = {"ok": True, "version": str(getattr(m, "__version__", "")),
                                        "file": str(getattr(m, "__file__", "") or "")}
          except BaseException as e:
              report["modules"][key] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
      try:
          from importlib import metadata
          report["requires"] = [r for r in (metadata.requires("snakepit-bridge") or []) if "extra ==" not in r]
      except Exception:
          pass
      if len(sys.argv) > 1 and sys.argv[1]:
          module, _, name = sys.argv[1].rpartition(".")
          try:
              cls = getattr(importlib.import_module(module), name)
              report["adapter"] = {"ok": True, "file": str(getattr(sys.modules[module], "__file__", "") or ""),
                                   "is_class": isinstance(cls, type)}
          except BaseException as e:
              report["adapter"] = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
      print("%s" + json.dumps(report), flush=True)
      """.formatted(REPORT_MARKER);

  @ParentCommand
  SnakepitCli root;

  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Mixin
  PoolOptions pool;

  private Terminal term;
  private PrintWriter out;
  private int failures;
  private int warnings;

  @Override
  public Integer call() {
    var commandLine = spec.commandLine();
    term = root.terminal();
    out = commandLine.getOut();
    var config = PoolOptions.build(commandLine, pool.builder(commandLine, "doctor", 1));
    out.println(term.bold("Snakepit doctor"));
    out.println();

    checkJava();
    checkSharedMemory(java.nio.file.Path.of("/dev/shm"));
    config = checkEnvironment(config);
    var report = checkPython(config);
    if (report.isPresent()) {
      checkPackages(report.get(), config);
      checkAdapter(report.get(), config);
      if (failures == 0) {
        checkWorker(config);
      } else {
        skipped("worker", "not started: fix the problems above first");
      }
    } else {
      skipped("packages", "need a working Python");
      skipped("worker", "needs a working Python");
    }

    out.println();
    if (failures > 0) {
      out.println(" " + term.red(failures + (failures == 1 ? " check failed" : " checks failed"))
          + (warnings > 0 ? ", " + warnings + (warnings == 1 ? " warning" : " warnings") : "") + ".");
    } else if (warnings > 0) {
      out.println(" " + term.green("All checks passed") + " with " + warnings + (warnings == 1 ? " warning." : " warnings."));
    } else {
      out.println(" " + term.green("All checks passed."));
    }
    out.flush();
    return failures == 0 ? 0 : 1;
  }

  // ---- checks -----------------------------------------------------------------------------------

  private void checkJava() {
    var version = Runtime.version();
    var detail = version + " (" + System.getProperty("java.vendor") + ") at " + System.getProperty("java.home");
    if (version.feature() < 21) {
      failed("Java", detail, "Snakepit needs Java 21 or newer; set JAVA_HOME to a newer JDK.");
    } else {
      ok("Java", detail);
    }
  }

  /** Large bytes travel through /dev/shm; when it is small (Docker's default is 64 MB) they fall back to messages. */
  private void checkSharedMemory(java.nio.file.Path shm) {
    try {
      var store = java.nio.file.Files.getFileStore(shm);
      long free = store.getUsableSpace();
      long total = store.getTotalSpace();
      var detail = shm + ": " + (free >> 20) + " MiB free of " + (total >> 20) + " MiB";
      if (free < 256L << 20) {
        warned("shared memory", detail, "payloads larger than the free space travel inside messages (slower);"
            + " give the container more, e.g. docker run --shm-size=1g");
      } else {
        ok("shared memory", detail);
      }
    } catch (java.io.IOException e) {
      warned("shared memory", shm + " is not available (" + e.getMessage() + ")",
          "large payloads travel inside messages (slower); mount a tmpfs on /dev/shm");
    }
  }

  /** The managed environment (built if missing) and the bundled snakepit_bridge; returns the config the workers run with. */
  private SnakepitConfig checkEnvironment(SnakepitConfig config) {
    var environment = config.pythonEnvironment();
    long start = System.nanoTime();
    SnakepitConfig resolved;
    try {
      resolved = dev.snakepit.PythonEnvironment.resolve(config);
    } catch (SnakepitException e) {
      failed("environment", firstLine(e.getMessage()), "Fix the requirement the installer names below, then run doctor again.");
      if (e instanceof dev.snakepit.StartupFailedException failure) {
        tail(failure.stderrTail());
      }
      return config;
    }
    if (environment != null) {
      var took = System.nanoTime() - start;
      ok("environment", environment.directory() + term.dim(" (" + String.join(", ", environment.requirements())
          + (environment.requirementsFile() != null ? " -r " + environment.requirementsFile() : "") + "; ready after "
          + DemoCommand.millis(took) + ")"));
    }
    if (resolved.pythonPath().size() > config.pythonPath().size()) {
      ok("bundled bridge", "snakepit_bridge from the jar, at " + resolved.pythonPath().getLast()
          + term.dim(" (the interpreter has no snakepit-bridge of this version)"));
    }
    return resolved;
  }

  private Optional<JsonNode> checkPython(SnakepitConfig config) {
    var configured = config.python();
    var resolved = resolveExecutable(configured);
    var source = pythonSource(configured);
    if (resolved.isEmpty()) {
      failed("Python", configured + " not found (" + source + ")",
          "Install Python 3.10+ or point at one: --python PATH, or export SNAKEPIT_PYTHON=PATH"
              + " (./snakepit creates .venv by itself).");
      return Optional.empty();
    }
    var python = resolved.get();
    ProbeResult probe;
    try {
      probe = runProbe(python, config);
    } catch (IOException | UncheckedIOException e) {
      failed("Python", python + " cannot be run: " + e.getMessage(), "Check that the file is an executable Python interpreter.");
      return Optional.empty();
    }
    var line = probe.stdout().lines().filter(l -> l.startsWith(REPORT_MARKER)).reduce((a, b) -> b);
    if (line.isEmpty()) {
      var why = probe.timedOut() ? "did not finish within " + PROBE_TIMEOUT_SECONDS + " s" : "exited with code " + probe.exitCode();
      failed("Python", python + " " + why, "Is it a Python 3.10+ interpreter? Try running it by hand.");
      tail(probe.stderr());
      return Optional.empty();
    }
    var report = CliJson.parse(line.get().substring(REPORT_MARKER.length()));
    var version = report.path("version").asText();
    var detail = version + " at " + python + " (" + source + (report.path("in_venv").asBoolean() ? ", a virtual env" : "") + ")";
    if (compareVersions(version, "3.10") < 0) {
      failed("Python", detail, "Snakepit's worker needs Python 3.10 or newer; point --python or SNAKEPIT_PYTHON at one.");
    } else if (isPyenvShim(python)) {
      warned("Python", detail + " is a pyenv shim",
          "A shim adds ~100 ms to every worker start; use the real interpreter: --python \"$(pyenv which python3)\".");
    } else {
      ok("Python", detail);
    }
    return Optional.of(report);
  }

  private void checkPackages(JsonNode report, SnakepitConfig config) {
    var requirements = report.path("requires");
    for (var key : List.of("grpcio", "protobuf")) {
      var module = report.path("modules").path(key);
      if (!module.path("ok").asBoolean()) {
        failed(key, "not importable: " + module.path("error").asText(),
            "Install the worker's dependencies into this interpreter: pip install -e python/ (from the repo root),"
                + " or let Snakepit manage an environment: --requirements SPEC (snakepit.python.requirements in Spring Boot).");
        continue;
      }
      var version = module.path("version").asText();
      var minimum = minimumVersion(requirements, key);
      if (minimum.isPresent() && compareVersions(version, minimum.get()) < 0) {
        failed(key, version + ", but snakepit-bridge needs >= " + minimum.get(),
            "Upgrade it: pip install -c python/constraints.txt -e python/");
      } else {
        ok(key, version + minimum.map(m -> term.dim(" (needs >= " + m + ")")).orElse(""));
      }
    }
    var bridge = report.path("modules").path("snakepit_bridge");
    if (bridge.path("ok").asBoolean()) {
      var file = bridge.path("file").asText();
      var location = file.isEmpty() ? "" : " from " + Path.of(file).getParent();
      ok("snakepit_bridge", bridge.path("version").asText() + location);
    } else if (config.workerScript() != null) {
      warned("snakepit_bridge", "not importable (" + bridge.path("error").asText() + ")",
          "Fine if " + config.workerScript() + " brings its own server; our adapters need it.");
    } else {
      failed("snakepit_bridge", "not importable: " + bridge.path("error").asText(),
          "Install it into this interpreter: pip install -e python/ (or run ./snakepit once to create .venv).");
    }
  }

  private void checkAdapter(JsonNode report, SnakepitConfig config) {
    var adapter = report.path("adapter");
    if (adapter.path("ok").asBoolean()) {
      if (!adapter.path("is_class").asBoolean()) {
        failed("adapter", config.adapter() + " imports but is not a class", "Name the adapter class: --adapter module.Class");
      } else {
        ok("adapter", config.adapter() + term.dim(" imports"));
      }
      return;
    }
    failed("adapter", config.adapter() + ": " + adapter.path("error").asText(),
        "Check the module.Class name, and put its directory on the path: --pythonpath DIR");
    tail(adapter.path("traceback").asText());
  }

  private void checkWorker(SnakepitConfig config) {
    long start = System.nanoTime();
    try (var pit = Snakepit.start(config)) {
      long startup = System.nanoTime() - start;
      var tools = pit.tools();
      var detail = new StringBuilder("started in ").append(DemoCommand.millis(startup)).append(" and answered Ping");
      detail.append(" · ").append(tools.size()).append(tools.size() == 1 ? " tool" : " tools");
      if (tools.stream().anyMatch(t -> t.name().equals("ping") && t.parameters().stream().noneMatch(p -> p.required()))) {
        long callStart = System.nanoTime();
        pit.execute("ping", Map.of());
        detail.append(" · ping tool ").append(DemoCommand.millis(System.nanoTime() - callStart));
      }
      ok("worker", detail.toString());
      var stats = pit.stats();
      ok("pool", "workers ready " + stats.workers() + ", starting " + stats.starting() + ", retiring " + stats.retiring()
          + ", busy " + stats.busy() + ", queued " + stats.queued() + " · crashes " + stats.crashes() + ", restarts "
          + stats.restarts() + ", recycles " + stats.recycles() + (stats.breakerOpen() ? " · breaker OPEN" : ""));
    } catch (SnakepitException e) {
      var message = e.getMessage();
      var entry = config.workerScript() != null ? config.workerScript().toString() : "-m " + config.workerModule();
      failed("worker", firstLine(message),
          "Run it by hand to see everything: " + config.python() + " " + entry + " --adapter " + config.adapter() + " --port 0");
      tail(message.lines().skip(1).collect(Collectors.joining("\n")));
    }
  }

  // ---- the probe --------------------------------------------------------------------------------

  private record ProbeResult(int exitCode, boolean timedOut, String stdout, String stderr) {}

  private ProbeResult runProbe(Path python, SnakepitConfig config) throws IOException {
    var command = new ArrayList<>(List.of(python.toString(), "-c", PROBE, config.adapter()));
    var builder = new ProcessBuilder(command);
    if (!config.pythonPath().isEmpty()) {
      var path = config.pythonPath().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
      var inherited = System.getenv("PYTHONPATH");
      builder.environment().put("PYTHONPATH", inherited == null || inherited.isBlank() ? path : path + File.pathSeparator + inherited);
    }
    builder.environment().putAll(config.workerEnvironment());
    if (config.workingDirectory() != null) {
      builder.directory(config.workingDirectory().toFile());
    }
    var process = builder.start();
    process.getOutputStream().close();
    try (var readers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("snakepit-doctor-probe-", 1).factory())) {
      var stdout = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()), readers);
      var stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()), readers);
      return awaitProbe(python, process, stdout, stderr);
    }
  }

  private static ProbeResult awaitProbe(Path python, Process process, CompletableFuture<String> stdout,
      CompletableFuture<String> stderr) throws IOException {
    try {
      boolean exited = process.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (!exited) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
      return new ProbeResult(exited ? process.exitValue() : -1, !exited,
          stdout.get(5, TimeUnit.SECONDS), stderr.get(5, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted while probing " + python, e);
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new IOException("cannot read the probe's output: " + e, e);
    }
  }

  private static String drain(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** The interpreter as a path that exists: absolute as given, or found on PATH for a bare name. */
  static Optional<Path> resolveExecutable(Path python) {
    if (python.getNameCount() > 1 || python.isAbsolute()) {
      return Files.isExecutable(python) ? Optional.of(python) : Optional.empty();
    }
    var path = System.getenv("PATH");
    if (path != null) {
      for (var dir : path.split(File.pathSeparator)) {
        if (dir.isBlank()) {
          continue;
        }
        var candidate = Path.of(dir).resolve(python);
        if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Files.isExecutable(python) ? Optional.of(python.toAbsolutePath()) : Optional.empty();
  }

  private String pythonSource(Path configured) {
    if (pool.python != null) {
      return "from --python";
    }
    var fromEnv = System.getenv("SNAKEPIT_PYTHON");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return "from $SNAKEPIT_PYTHON";
    }
    if (configured.endsWith(Path.of(".venv", "bin", "python"))) {
      return "the repo's .venv";
    }
    return "python3 on PATH";
  }

  /** Whether {@code python} is a pyenv shim: a script that asks pyenv which interpreter to run. */
  static boolean isPyenvShim(Path python) {
    if (python.toString().contains("/shims/") && python.toString().contains("pyenv")) {
      return true;
    }
    try (var in = Files.newInputStream(python)) {
      var head = new String(in.readNBytes(512), StandardCharsets.ISO_8859_1);
      return head.startsWith("#!") && head.contains("pyenv");
    } catch (IOException e) {
      return false;
    }
  }

  /** The minimum version {@code snakepit-bridge} declares for {@code distribution}, if any. */
  static Optional<String> minimumVersion(JsonNode requirements, String distribution) {
    for (var requirement : requirements) {
      var matcher = REQUIREMENT.matcher(requirement.asText());
      if (matcher.matches() && matcher.group(1).equalsIgnoreCase(distribution)) {
        return Optional.of(matcher.group(3));
      }
    }
    return Optional.empty();
  }

  /** Compares dotted versions by their leading numbers: {@code 1.10.0 > 1.9}, {@code 7.36.2rc1 ~ 7.36.2}. */
  static int compareVersions(String left, String right) {
    var a = left.split("\\.");
    var b = right.split("\\.");
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      int x = i < a.length ? leadingNumber(a[i]) : 0;
      int y = i < b.length ? leadingNumber(b[i]) : 0;
      if (x != y) {
        return Integer.compare(x, y);
      }
    }
    return 0;
  }

  private static int leadingNumber(String part) {
    int end = 0;
    while (end < part.length() && end < 9 && Character.isDigit(part.charAt(end))) {
      end++;
    }
    return end == 0 ? 0 : Integer.parseInt(part.substring(0, end));
  }

  private void ok(String label, String detail) {
    out.println(" " + term.ok() + " " + term.bold(ToolsCommand.pad(label, LABEL_WIDTH)) + " " + detail);
    out.flush();
  }

  private void warned(String label, String detail, String fix) {
    warnings++;
    out.println(" " + term.warn() + " " + term.bold(ToolsCommand.pad(label, LABEL_WIDTH)) + " " + detail);
    out.println("   " + " ".repeat(LABEL_WIDTH) + " " + term.yellow("fix: ") + fix);
    out.flush();
  }

  private void failed(String label, String detail, String fix) {
    failures++;
    out.println(" " + term.fail() + " " + term.bold(ToolsCommand.pad(label, LABEL_WIDTH)) + " " + term.red(detail));
    out.println("   " + " ".repeat(LABEL_WIDTH) + " " + term.yellow("fix: ") + fix);
    out.flush();
  }

  private void skipped(String label, String why) {
    out.println(" " + term.dim("–") + " " + term.bold(ToolsCommand.pad(label, LABEL_WIDTH)) + " " + term.dim("skipped: " + why));
    out.flush();
  }

  /** The last lines of {@code text} (a traceback, a stderr tail), indented and dimmed. */
  private void tail(String text) {
    var lines = text.stripTrailing().lines().filter(l -> !l.isBlank()).toList();
    for (var line : lines.subList(Math.max(0, lines.size() - 12), lines.size())) {
      out.println("   " + " ".repeat(LABEL_WIDTH) + " " + term.dim("│ " + line));
    }
    out.flush();
  }

  private static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
