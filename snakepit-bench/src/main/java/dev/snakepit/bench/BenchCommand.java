package dev.snakepit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.snakepit.SnakepitConfig;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit bench}: measures Snakepit side by side with the physical floors (bare gRPC, a
 * raw Unix socket, a memory copy) and with Py4J, in one run, interleaved, after warm-up; prints
 * tables with ratios and the performance targets; optionally writes everything as JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Benchmarks Snakepit against the bare gRPC and raw Unix-socket floors and Py4J, in one run.",
        "Scenarios: latency, throughput, streaming, payload, startup, callback, remote. Every process it starts is stopped at the end."},
    footer = {"", "Examples:", "  snakepit bench --quick", "  snakepit bench --json bench.json", "  snakepit bench --only latency,payload"})
public final class BenchCommand implements Callable<Integer> {
  @Option(names = "--quick", description = "Smaller budget: the whole run takes under two minutes.")
  boolean quick;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write every measurement, the machine and the targets as JSON to FILE.")
  Path json;

  @Option(names = "--only", split = ",", paramLabel = "SCENARIO",
      description = "Run only these scenarios (comma-separated): ${COMPLETION-CANDIDATES}.")
  List<ScenarioId> only;

  @Option(names = "--python", paramLabel = "PATH", description = "Python interpreter with snakepit_bridge and py4j (default: as Snakepit finds it).")
  Path python;

  @Spec
  CommandSpec spec;

  /** Scenario names for {@code --only}. */
  public enum ScenarioId { latency, throughput, streaming, payload, startup, callback, remote }

  @Override
  public Integer call() throws Exception {
    // grpc-java sets SO_KEEPALIVE on every channel; the floor's Unix-socket channels do not know it
    // and Netty warns once per channel. slf4j-simple reads this when Netty's logger is first made.
    if (System.getProperty("org.slf4j.simpleLogger.log.io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap") == null) {
      System.setProperty("org.slf4j.simpleLogger.log.io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap", "error");
    }
    PrintWriter out = spec.commandLine().getOut();
    var err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
    var interpreter = python != null ? python : SnakepitConfig.builder().build().python();
    var budget = quick ? Budget.quick() : Budget.full();
    var scenarios = scenarios();
    var report = new Report();
    var command = "snakepit bench" + (quick ? " --quick" : "")
        + (only == null ? "" : " --only " + String.join(",", only.stream().map(Enum::name).toList()));
    var machine = Machine.describe(interpreter);
    var loadBefore = Machine.loadAverage();
    long started = System.nanoTime();
    var failures = new LinkedHashMap<String, String>();
    try (var context = new BenchContext(interpreter, budget, quick, err, Map.of())) {
      for (var scenario : scenarios) {
        try {
          long scenarioStart = System.nanoTime();
          scenario.run(context, report);
          context.say(String.format("%s: done in %.0f s", scenario.id(), (System.nanoTime() - scenarioStart) / 1e9));
        } catch (Exception e) {
          failures.put(scenario.id(), String.valueOf(e.getMessage()));
          err.println(scenario.id() + ": FAILED: " + e);
          e.printStackTrace(err);
        }
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    machine.put("load", loadBefore + " at start, " + Machine.loadAverage() + " at end (1/5/15 min)");
    out.println();
    out.printf("Snakepit benchmark: %s%n", command);
    machine.forEach((k, v) -> out.printf("  %-10s %s%n", k, v));
    out.printf("  %-10s %.0f s%n", "duration", seconds);
    report.print(out);
    var targets = Targets.evaluate(report);
    Targets.print(targets, out);
    failures.forEach((id, message) -> out.println("  scenario " + id + " FAILED: " + message));
    out.flush();
    if (json != null) {
      writeJson(json, command, machine, seconds, report, targets, failures);
      out.println("JSON written to " + json.toAbsolutePath());
    }
    return failures.isEmpty() ? 0 : 1;
  }

  private List<Scenario> scenarios() {
    var all = List.<Scenario>of(new LatencyScenario(), new ThroughputScenario(), new StreamingScenario(),
        new PayloadScenario(), new StartupScenario(), new CallbackScenario(), new RemoteScenario());
    if (only == null || only.isEmpty()) {
      return all;
    }
    var wanted = only.stream().map(Enum::name).toList();
    var selected = new ArrayList<Scenario>();
    for (var scenario : all) {
      if (wanted.contains(scenario.id())) {
        selected.add(scenario);
      }
    }
    return selected;
  }

  private static void writeJson(Path file, String command, Map<String, String> machine, double seconds, Report report,
      List<Targets.Result> targets, Map<String, String> failures) throws java.io.IOException {
    var root = new LinkedHashMap<String, Object>();
    root.put("command", command);
    root.put("timestamp", Instant.now().toString());
    root.put("durationSeconds", seconds);
    root.put("machine", machine);
    var sections = new ArrayList<Map<String, Object>>();
    for (var section : report.sections()) {
      var entry = new LinkedHashMap<String, Object>();
      entry.put("id", section.id());
      entry.put("title", section.title());
      entry.put("floor", section.floor());
      var rows = new ArrayList<Map<String, Object>>();
      for (var row : report.rows()) {
        if (!row.scenario().equals(section.id())) {
          continue;
        }
        var r = new LinkedHashMap<String, Object>();
        r.put("case", row.caseName());
        r.put("contender", row.contender());
        r.put("role", row.role().name().toLowerCase(java.util.Locale.ROOT));
        switch (row.kind()) {
          case LATENCY -> {
            r.put("p50Micros", row.p50Micros());
            r.put("p99Micros", row.p99Micros());
          }
          case RATE -> {
            r.put("rate", row.rate());
            r.put("unit", row.unit());
          }
          case PENDING -> r.put("pending", row.note());
        }
        r.put("samples", row.samples());
        if (section.floor() != null) {
          putRatio(r, "vsFloor", Report.ratio(row, report.find(row.scenario(), row.caseName(), section.floor())));
        }
        putRatio(r, "vsPy4j", Report.ratio(row, report.find(row.scenario(), row.caseName(), Report.PY4J)));
        rows.add(r);
      }
      entry.put("rows", rows);
      sections.add(entry);
    }
    root.put("scenarios", sections);
    root.put("targets", targets);
    root.put("failures", failures);
    var mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    mapper.writeValue(file.toFile(), root);
  }

  private static void putRatio(Map<String, Object> row, String key, double value) {
    if (!Double.isNaN(value)) {
      row.put(key, value);
    }
  }

  /** Runs the command as a program (the CLI mounts it as {@code snakepit bench}). */
  public static int run(String... args) {
    return new CommandLine(new BenchCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }
}
