package dev.snakepit.internal.transport.lane;

import dev.snakepit.internal.transport.ToolRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes the payload of a CALL or STREAM frame: {@code timeout_ms u32 | credit u32 | header_length
 * u32 | header JSON | bytes arguments}. The header is
 * {@code {"t":tool,"s":session,"m":{metadata},"a":{name:json,...},"b":[[name,length],...],"h":[[name,file,length],...],"r":[threshold,file]}}
 * with the arguments' JSON text copied in as is.
 */
final class CallEncoder {
  private CallEncoder() {}

  /** A bytes argument handed off through a shared-memory file. */
  record SharedArgument(String name, String file, long length) {}

  /** An upper bound of the header's size, so that one capacity check covers the whole encoding. */
  static int headerBound(ToolRequest request) {
    long bound = 64 + 6L * request.toolName().length() + 6L * request.sessionId().length();
    for (var e : request.metadata().entrySet()) {
      bound += 8 + 6L * (e.getKey().length() + e.getValue().length());
    }
    for (var e : request.jsonArguments().entrySet()) {
      bound += 8 + 6L * e.getKey().length() + e.getValue().length;
    }
    for (var e : request.binaryArguments().keySet()) {
      bound += 32 + 6L * e.length();
    }
    return (int) Math.min(Integer.MAX_VALUE - 64, bound);
  }

  /**
   * Writes the header JSON of {@code request}; {@code inline} are the bytes arguments that follow the
   * header (in this order), {@code shared} those handed off, {@code resultFile} a file offered for a large
   * bytes result (or null).
   */
  static void header(ByteBuffer out, ToolRequest request, List<Map.Entry<String, ByteBuffer>> inline,
      List<SharedArgument> shared, String resultFile, int resultThreshold) {
    out.put((byte) '{');
    out.put((byte) '"').put((byte) 't').put((byte) '"').put((byte) ':');
    string(out, request.toolName());
    if (!request.sessionId().isEmpty()) {
      out.put((byte) ',').put((byte) '"').put((byte) 's').put((byte) '"').put((byte) ':');
      string(out, request.sessionId());
    }
    if (!request.metadata().isEmpty()) {
      out.put((byte) ',').put((byte) '"').put((byte) 'm').put((byte) '"').put((byte) ':').put((byte) '{');
      boolean first = true;
      for (var e : request.metadata().entrySet()) {
        if (!first) {
          out.put((byte) ',');
        }
        first = false;
        string(out, e.getKey());
        out.put((byte) ':');
        string(out, e.getValue());
      }
      out.put((byte) '}');
    }
    if (!request.jsonArguments().isEmpty()) {
      out.put((byte) ',').put((byte) '"').put((byte) 'a').put((byte) '"').put((byte) ':').put((byte) '{');
      boolean first = true;
      for (var e : request.jsonArguments().entrySet()) {
        if (!first) {
          out.put((byte) ',');
        }
        first = false;
        string(out, e.getKey());
        out.put((byte) ':');
        out.put(e.getValue());
      }
      out.put((byte) '}');
    }
    if (!inline.isEmpty()) {
      out.put((byte) ',').put((byte) '"').put((byte) 'b').put((byte) '"').put((byte) ':').put((byte) '[');
      for (int i = 0; i < inline.size(); i++) {
        if (i > 0) {
          out.put((byte) ',');
        }
        out.put((byte) '[');
        string(out, inline.get(i).getKey());
        out.put((byte) ',');
        number(out, inline.get(i).getValue().remaining());
        out.put((byte) ']');
      }
      out.put((byte) ']');
    }
    if (!shared.isEmpty()) {
      out.put((byte) ',').put((byte) '"').put((byte) 'h').put((byte) '"').put((byte) ':').put((byte) '[');
      for (int i = 0; i < shared.size(); i++) {
        var s = shared.get(i);
        if (i > 0) {
          out.put((byte) ',');
        }
        out.put((byte) '[');
        string(out, s.name());
        out.put((byte) ',');
        string(out, s.file());
        out.put((byte) ',');
        number(out, s.length());
        out.put((byte) ']');
      }
      out.put((byte) ']');
    }
    if (resultFile != null) {
      out.put((byte) ',').put((byte) '"').put((byte) 'r').put((byte) '"').put((byte) ':').put((byte) '[');
      number(out, resultThreshold);
      out.put((byte) ',');
      string(out, resultFile);
      out.put((byte) ']');
    }
    out.put((byte) '}');
  }

  private static void number(ByteBuffer out, long value) {
    out.put(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /** A JSON string literal, UTF-8, escaping quotes, backslashes and control characters. */
  static void string(ByteBuffer out, String value) {
    out.put((byte) '"');
    int n = value.length();
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        out.put((byte) c);
      } else if (c == '"' || c == '\\') {
        out.put((byte) '\\').put((byte) c);
      } else if (c < 0x20) {
        out.put((byte) '\\').put((byte) 'u').put((byte) '0').put((byte) '0').put(HEX[c >> 4]).put(HEX[c & 15]);
      } else if (c < 0x800) {
        out.put((byte) (0xc0 | (c >> 6))).put((byte) (0x80 | (c & 0x3f)));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, value.charAt(++i));
        out.put((byte) (0xf0 | (cp >> 18))).put((byte) (0x80 | ((cp >> 12) & 0x3f)))
            .put((byte) (0x80 | ((cp >> 6) & 0x3f))).put((byte) (0x80 | (cp & 0x3f)));
      } else if (Character.isSurrogate(c)) {
        // A lone surrogate has no UTF-8 form: escape it, as JSON allows.
        out.put((byte) '\\').put((byte) 'u').put(HEX[c >> 12]).put(HEX[(c >> 8) & 15]).put(HEX[(c >> 4) & 15]).put(HEX[c & 15]);
      } else {
        out.put((byte) (0xe0 | (c >> 12))).put((byte) (0x80 | ((c >> 6) & 0x3f))).put((byte) (0x80 | (c & 0x3f)));
      }
    }
    out.put((byte) '"');
  }
}
