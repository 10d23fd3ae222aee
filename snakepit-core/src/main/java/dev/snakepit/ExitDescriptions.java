package dev.snakepit;

/** Human-readable process endings, shared by the exceptions that report one. */
final class ExitDescriptions {
  private ExitDescriptions() {}

  static String describe(Integer exitCode, Integer signal) {
    if (signal != null) {
      return "killed by signal " + signal + signalName(signal);
    }
    if (exitCode != null) {
      return "exited with code " + exitCode;
    }
    return "ended for an unknown reason";
  }

  private static String signalName(int signal) {
    return switch (signal) {
      case 1 -> " (SIGHUP)";
      case 2 -> " (SIGINT)";
      case 6 -> " (SIGABRT)";
      case 9 -> " (SIGKILL)";
      case 11 -> " (SIGSEGV)";
      case 15 -> " (SIGTERM)";
      default -> "";
    };
  }
}
