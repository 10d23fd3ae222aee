package dev.snakepit.cli;

import picocli.CommandLine.Option;

/** {@code -h/--help} for a subcommand (the top-level command has it through the standard help options). */
final class HelpOption {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;
}
