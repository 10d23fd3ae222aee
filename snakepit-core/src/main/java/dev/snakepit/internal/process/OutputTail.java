package dev.snakepit.internal.process;

import java.util.ArrayDeque;

/** The last lines of a stream, bounded in lines and characters, for error messages. */
final class OutputTail {
  private final int maxLines;
  private final int maxChars;
  private final ArrayDeque<String> lines = new ArrayDeque<>();
  private int chars;

  OutputTail(int maxLines, int maxChars) {
    this.maxLines = maxLines;
    this.maxChars = maxChars;
  }

  synchronized void add(String line) {
    var kept = line.length() > maxChars ? line.substring(0, maxChars) + "..." : line;
    lines.addLast(kept);
    chars += kept.length();
    while (lines.size() > maxLines || (chars > maxChars && lines.size() > 1)) {
      chars -= lines.removeFirst().length();
    }
  }

  synchronized String text() {
    return String.join("\n", lines);
  }
}
