package dev.snakepit.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every measurement of a run, grouped by scenario and case, with ratios against the case's floor
 * and against Py4J. Latency ratios are time over reference time (lower is better); rate ratios are
 * rate over reference rate (higher is better).
 */
final class Report {
  /** What a contender is in the comparison. */
  enum Role { OURS, FLOOR, PEER, CEILING }

  /** Latency (p50/p99 in microseconds), a rate (per second) or memory (bytes, in the rate field). */
  enum Kind { LATENCY, RATE, PENDING, MEMORY }

  /** One measured contender in one case. */
  record Row(String scenario, String caseName, String contender, Role role, Kind kind, double p50Micros,
      double p99Micros, double rate, String unit, int samples, String note) {}

  /** A scenario's title, which contender is its floor, and whether its latencies print in milliseconds. */
  record Section(String id, String title, String floor, String note, boolean millis) {}

  static final String PY4J = "Py4J";

  private final Map<String, Section> sections = new LinkedHashMap<>();
  private final List<Row> rows = new ArrayList<>();

  synchronized void section(String id, String title, String floor, String note) {
    sections.put(id, new Section(id, title, floor, note, false));
  }

  /** A section whose latencies are large enough to print in milliseconds. */
  synchronized void sectionInMillis(String id, String title, String floor, String note) {
    sections.put(id, new Section(id, title, floor, note, true));
  }

  synchronized List<Section> sections() {
    return List.copyOf(sections.values());
  }

  synchronized List<Row> rows() {
    return List.copyOf(rows);
  }

  synchronized void latency(String scenario, String caseName, String contender, Role role, Samples samples) {
    rows.add(new Row(scenario, caseName, contender, role, Kind.LATENCY, samples.percentile(50) / 1e3,
        samples.percentile(99) / 1e3, 0, "us", samples.size(), null));
  }

  synchronized void rate(String scenario, String caseName, String contender, Role role, double perSecond, String unit, int samples) {
    rows.add(new Row(scenario, caseName, contender, role, Kind.RATE, 0, 0, perSecond, unit, samples, null));
  }

  /** A memory figure in bytes (lower is better; kept in the row's rate field, printed in MiB). */
  synchronized void memory(String scenario, String caseName, String contender, Role role, long bytes) {
    rows.add(new Row(scenario, caseName, contender, role, Kind.MEMORY, 0, 0, bytes, "MiB", 1, null));
  }

  synchronized void pending(String scenario, String caseName, String contender, Role role, String note) {
    rows.add(new Row(scenario, caseName, contender, role, Kind.PENDING, 0, 0, 0, "", 0, note));
  }

  /** The row of {@code contender} in the same case as {@code row}, if measured. */
  synchronized Row find(String scenario, String caseName, String contender) {
    for (var row : rows) {
      if (row.scenario.equals(scenario) && row.caseName.equals(caseName) && row.contender.equals(contender)
          && row.kind != Kind.PENDING) {
        return row;
      }
    }
    return null;
  }

  /**
   * {@code row} relative to {@code reference}: time ratio for latency, rate ratio for rates, byte
   * ratio for memory; NaN if unknown.
   */
  static double ratio(Row row, Row reference) {
    if (row == null || reference == null || row.kind != reference.kind || row.kind == Kind.PENDING) {
      return Double.NaN;
    }
    return row.kind == Kind.LATENCY ? row.p50Micros / reference.p50Micros : row.rate / reference.rate;
  }

  /** Prints the tables a person reads. */
  synchronized void print(PrintWriter out) {
    for (var section : sections.values()) {
      var byCase = new LinkedHashMap<String, List<Row>>();
      rows.stream().filter(r -> r.scenario.equals(section.id))
          .forEach(r -> byCase.computeIfAbsent(r.caseName, k -> new ArrayList<>()).add(r));
      var sectionRows = byCase.values().stream().flatMap(List::stream).toList();
      if (sectionRows.isEmpty()) {
        continue;
      }
      out.println();
      out.println(section.title);
      if (section.note != null) {
        out.println("  " + section.note);
      }
      boolean latency = sectionRows.stream().anyMatch(r -> r.kind == Kind.LATENCY);
      String unit = sectionRows.stream().filter(r -> r.kind == Kind.RATE || r.kind == Kind.MEMORY).map(Row::unit)
          .findFirst().orElse("");
      var floorHeader = "vs " + (section.floor == null ? "floor" : section.floor);
      var latencyUnit = section.millis ? " ms" : " us";
      double scale = section.millis ? 1e-3 : 1;
      out.printf(Locale.ROOT, "  %-32s %-40s %12s %12s %22s %10s%n", "case", "contender",
          latency ? "p50" + latencyUnit : unit, latency ? "p99" + latencyUnit : "", floorHeader, "vs Py4J");
      String lastCase = null;
      for (var row : sectionRows) {
        var caseLabel = row.caseName.equals(lastCase) ? "" : row.caseName;
        lastCase = row.caseName;
        if (row.kind == Kind.PENDING) {
          out.printf(Locale.ROOT, "  %-32s %-40s %s%n", caseLabel, row.contender, "pending: " + row.note);
          continue;
        }
        var floor = section.floor == null ? null : find(row.scenario, row.caseName, section.floor);
        var py4j = find(row.scenario, row.caseName, PY4J);
        String first = row.kind == Kind.LATENCY ? number(row.p50Micros * scale)
          : number(row.kind == Kind.MEMORY ? row.rate / (1024 * 1024) : row.rate);
        String second = row.kind == Kind.LATENCY ? number(row.p99Micros * scale) : "";
        out.printf(Locale.ROOT, "  %-32s %-40s %12s %12s %22s %10s%n", caseLabel, row.contender, first, second,
            row == floor ? "-" : times(ratio(row, floor)), row == py4j ? "-" : times(ratio(row, py4j)));
      }
    }
  }

  static String number(double value) {
    if (value >= 100) {
      return String.format(Locale.ROOT, "%,.0f", value);
    }
    if (value >= 10) {
      return String.format(Locale.ROOT, "%.1f", value);
    }
    return String.format(Locale.ROOT, "%.2f", value);
  }

  static String times(double ratio) {
    if (Double.isNaN(ratio)) {
      return "";
    }
    return ratio >= 100 ? String.format(Locale.ROOT, "%.0fx", ratio) : String.format(Locale.ROOT, "%.2fx", ratio);
  }
}
