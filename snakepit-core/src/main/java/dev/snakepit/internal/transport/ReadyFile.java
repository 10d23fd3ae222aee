package dev.snakepit.internal.transport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a worker announced in its ready file. Tolerant by design, so that workers may add fields:
 *
 * <ul>
 *   <li>Plain text (the Snakepit form): one item per line. A bare number or {@code tcp:<port>} is a
 *       loopback TCP port; {@code unix:<path>} is a Unix-domain socket; {@code key=value} lines are
 *       kept as extra fields; anything else is ignored.
 *   <li>A JSON object: {@code port} (number) and {@code unix_socket} (string) become endpoints; every
 *       other top-level string or number field is kept as an extra field.
 * </ul>
 *
 * @param endpoints the announced endpoints, in file order (TCP first for the JSON form)
 * @param fields extra fields, for transports that need more than an address
 */
public record ReadyFile(List<WorkerEndpoint> endpoints, Map<String, String> fields) {
  private static final Pattern JSON_FIELD =
      Pattern.compile("\"([^\"\\\\]+)\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|-?[0-9][0-9.eE+-]*|true|false)");

  /** Copies. */
  public ReadyFile {
    endpoints = List.copyOf(endpoints);
    fields = Map.copyOf(fields);
  }

  /**
   * Parses the file's text. Returns a ready file without endpoints when the text announces none
   * (the caller decides whether that is an error).
   */
  public static ReadyFile parse(String text) {
    var trimmed = text.strip();
    var endpoints = new ArrayList<WorkerEndpoint>();
    var fields = new LinkedHashMap<String, String>();
    if (trimmed.startsWith("{")) {
      Matcher m = JSON_FIELD.matcher(trimmed);
      while (m.find()) {
        var value = m.group(3) != null ? unescape(m.group(3)) : m.group(2);
        fields.put(m.group(1), value);
      }
      var port = fields.remove("port");
      if (port != null) {
        endpoints.add(WorkerEndpoint.Tcp.loopback(parsePort(port)));
      }
      var socket = fields.remove("unix_socket");
      if (socket != null && !socket.isEmpty()) {
        endpoints.add(new WorkerEndpoint.UnixSocket(Path.of(socket)));
      }
      return new ReadyFile(endpoints, fields);
    }
    for (var line : trimmed.split("\\R")) {
      var item = line.strip();
      if (item.isEmpty()) {
        continue;
      }
      if (item.chars().allMatch(Character::isDigit)) {
        endpoints.add(WorkerEndpoint.Tcp.loopback(parsePort(item)));
      } else if (item.startsWith("tcp:")) {
        endpoints.add(WorkerEndpoint.Tcp.loopback(parsePort(item.substring(4).strip())));
      } else if (item.startsWith("unix:")) {
        endpoints.add(new WorkerEndpoint.UnixSocket(Path.of(item.substring(5).strip())));
      } else if (item.indexOf('=') > 0) {
        fields.put(item.substring(0, item.indexOf('=')).strip(), item.substring(item.indexOf('=') + 1).strip());
      }
    }
    return new ReadyFile(endpoints, fields);
  }

  /** The first TCP port announced, or -1. */
  public int tcpPort() {
    for (var endpoint : endpoints) {
      if (endpoint instanceof WorkerEndpoint.Tcp tcp) {
        return tcp.port();
      }
    }
    return -1;
  }

  private static int parsePort(String text) {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a port number: '" + text + "'", e);
    }
  }

  private static String unescape(String json) {
    return json.replace("\\/", "/").replace("\\\"", "\"").replace("\\\\", "\\");
  }
}
