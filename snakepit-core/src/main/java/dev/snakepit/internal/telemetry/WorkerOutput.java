package dev.snakepit.internal.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.internal.codec.Json;
import java.io.IOException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.event.Level;

/**
 * Forwards one output stream of one worker to SLF4J, line by line, on that stream's pump thread.
 *
 * <p>Lines starting with {@value #MARKER} are Python {@code logging} records written as JSON by our
 * worker (the host sets {@code SNAKEPIT_LOG_FORMAT=json}): they go to the logger
 * {@code python.<logger name>} at the mapped level, with the worker id, tool and correlation id in
 * the MDC. Any other line (prints, C libraries, a foreign worker) goes to
 * {@code dev.snakepit.worker.stdout} or {@code .stderr} as INFO-level output. Records below the
 * pool's {@code workerLogLevel} are demoted to DEBUG (TRACE for Python DEBUG and below), so worker
 * chatter stays out of the application's log unless asked for.
 */
public final class WorkerOutput {
  /** Prefix of a structured log line; the rest of the line is one JSON object. */
  public static final String MARKER = "@snakepit:log ";
  /** MDC key: the worker's id. */
  public static final String MDC_WORKER_ID = "snakepit.worker_id";
  /** MDC key: the pool's name. */
  public static final String MDC_POOL = "snakepit.pool";
  /** MDC key: the correlation id of the call the record belongs to. */
  public static final String MDC_CORRELATION_ID = "snakepit.correlation_id";
  /** MDC key: the tool the record was logged from. */
  public static final String MDC_TOOL = "snakepit.tool";
  /** Prefix of the SLF4J logger a Python logger's records go to. */
  public static final String PYTHON_LOGGER_PREFIX = "python.";

  private static final int MAX_LOGGER_NAME = 200;

  /**
   * How a pool forwards worker output.
   *
   * @param forward whether to forward at all (the stderr tail for error messages is kept either way)
   * @param threshold Python records at or above this level keep their level; lower ones are demoted
   */
  public record Settings(boolean forward, Level threshold) {
    /** Forward, keeping warnings and errors at their level. */
    public static final Settings DEFAULT = new Settings(true, Level.WARN);

    /** Validates. */
    public Settings {
      Objects.requireNonNull(threshold, "threshold");
    }
  }

  private final String workerId;
  private final Settings settings;
  private final Logger rawLogger;

  /** Output of {@code stream} ("stdout" or "stderr"); call on the pump thread (it sets that thread's MDC). */
  public WorkerOutput(String poolName, String workerId, String stream, Settings settings) {
    this.workerId = workerId;
    this.settings = settings;
    this.rawLogger = LoggerFactory.getLogger("dev.snakepit.worker." + stream);
    MDC.put(MDC_WORKER_ID, workerId);
    MDC.put(MDC_POOL, poolName);
  }

  /**
   * Forwards one line and returns its text as the stderr tail should keep it: structured records
   * rendered as {@code LEVEL logger: message} plus their traceback, other lines unchanged.
   */
  public String accept(String line) {
    if (line.startsWith(MARKER)) {
      var record = parse(line);
      if (record != null) {
        return forward(record);
      }
    }
    if (settings.forward()) {
      var level = effective(Level.INFO);
      if (rawLogger.isEnabledForLevel(level)) {
        rawLogger.atLevel(level).log("[{}] {}", workerId, line);
      }
    }
    return line;
  }

  private static JsonNode parse(String line) {
    try {
      var node = Json.mapper().readTree(line.substring(MARKER.length()));
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  private String forward(JsonNode record) {
    var pythonLevel = text(record, "level", "INFO");
    var loggerName = text(record, "logger", "root");
    var message = text(record, "message", "");
    var exception = text(record, "exception", null);
    var stack = text(record, "stack", null);
    var rendered = new StringBuilder(pythonLevel).append(' ').append(loggerName).append(": ").append(message);
    appendLine(rendered, exception);
    appendLine(rendered, stack);
    if (!settings.forward()) {
      return rendered.toString();
    }
    var level = effective(level(record.path("levelno").asInt(levelNumber(pythonLevel))));
    var logger = LoggerFactory.getLogger(PYTHON_LOGGER_PREFIX
        + (loggerName.length() > MAX_LOGGER_NAME ? loggerName.substring(0, MAX_LOGGER_NAME) : loggerName));
    if (!logger.isEnabledForLevel(level)) {
      return rendered.toString();
    }
    var correlationId = text(record, "correlation_id", null);
    var tool = text(record, "tool", null);
    var text = new StringBuilder("[").append(workerId);
    if (correlationId != null) {
      text.append(" cid=").append(correlationId);
    }
    text.append("] ").append(message);
    appendLine(text, exception);
    appendLine(text, stack);
    putOrRemove(MDC_CORRELATION_ID, correlationId);
    putOrRemove(MDC_TOOL, tool);
    try {
      logger.atLevel(level).log(text.toString());
    } finally {
      MDC.remove(MDC_CORRELATION_ID);
      MDC.remove(MDC_TOOL);
    }
    return rendered.toString();
  }

  /** The level a record is logged at: its own, or demoted when below the pool's threshold. */
  Level effective(Level level) {
    if (level.toInt() >= settings.threshold().toInt()) {
      return level;
    }
    return level.toInt() >= Level.INFO.toInt() ? Level.DEBUG : Level.TRACE;
  }

  /** Maps a Python level number (logging.INFO is 20, WARNING 30...) to an SLF4J level. */
  static Level level(int pythonLevel) {
    if (pythonLevel >= 40) {
      return Level.ERROR;
    }
    if (pythonLevel >= 30) {
      return Level.WARN;
    }
    if (pythonLevel >= 20) {
      return Level.INFO;
    }
    return pythonLevel >= 10 ? Level.DEBUG : Level.TRACE;
  }

  private static int levelNumber(String name) {
    return switch (name) {
      case "CRITICAL", "FATAL" -> 50;
      case "ERROR" -> 40;
      case "WARNING", "WARN" -> 30;
      case "DEBUG" -> 10;
      default -> 20;
    };
  }

  private static String text(JsonNode node, String field, String fallback) {
    var value = node.get(field);
    return value == null || value.isNull() || value.asText().isEmpty() ? fallback : value.asText();
  }

  private static void appendLine(StringBuilder target, String text) {
    if (text != null) {
      target.append('\n').append(text.endsWith("\n") ? text.substring(0, text.length() - 1) : text);
    }
  }

  private static void putOrRemove(String key, String value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, value);
    }
  }
}
