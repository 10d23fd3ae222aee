package dev.snakepit.cli;

import java.io.Console;

/**
 * What the CLI's output is connected to, decided once at start-up: whether a person is watching
 * (stdin and stdout are a terminal, so live progress lines may redraw themselves) and whether ANSI
 * colour is welcome. Every styling helper returns its text unchanged when colour is off, so output
 * piped to a file or captured by a test is plain text.
 *
 * @param interactive stdout is a terminal: live, carriage-return-updated lines are fine
 * @param color ANSI colour and bold are fine
 */
public record Terminal(boolean interactive, boolean color) {
  private static final String RESET = "\u001b[0m";

  /** Plain output: no live redraws, no colour (files, pipes, tests). */
  public static Terminal plain() {
    return new Terminal(false, false);
  }

  /**
   * Looks at the real process: interactive when the JVM has a terminal console, colour when
   * interactive and neither {@code NO_COLOR} is set nor {@code TERM=dumb}.
   */
  public static Terminal detect() {
    boolean interactive = isTerminal(System.console());
    var term = System.getenv("TERM");
    boolean color = interactive && System.getenv("NO_COLOR") == null && !"dumb".equals(term);
    return new Terminal(interactive, color);
  }

  // JDK 22+ may hand out a Console even when the streams are redirected and says so through
  // Console.isTerminal(); JDK 21 returns null in that case. We compile for 21, hence reflection.
  private static boolean isTerminal(Console console) {
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return true;
    }
  }

  /** Green text (success). */
  public String green(String text) {
    return style("32", text);
  }

  /** Red text (failure). */
  public String red(String text) {
    return style("31", text);
  }

  /** Yellow text (warning). */
  public String yellow(String text) {
    return style("33", text);
  }

  /** Cyan text (names, highlights). */
  public String cyan(String text) {
    return style("36", text);
  }

  /** Bold text (headings). */
  public String bold(String text) {
    return style("1", text);
  }

  /** Dim text (secondary details such as tracebacks and timings). */
  public String dim(String text) {
    return style("2", text);
  }

  /** The mark of a passed check. */
  public String ok() {
    return green("✓");
  }

  /** The mark of a failed check. */
  public String fail() {
    return red("✗");
  }

  /** The mark of a warning. */
  public String warn() {
    return yellow("!");
  }

  private String style(String code, String text) {
    return color ? "\u001b[" + code + "m" + text + RESET : text;
  }
}
