package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The top-level command: help, version, and what a bad command line does. */
class SnakepitCliTest {

  @Test
  void shouldListTheSubcommandsInHelp() {
    var run = Cli.run("--help");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("call", "tools", "demo", "doctor", "--verbose");
  }

  @Test
  void shouldPrintTheVersion() {
    var run = Cli.run("--version");

    assertThat(run.exitCode()).isZero();
    assertThat(run.outLines().getFirst()).matches("snakepit \\d+\\.\\d+\\.\\d+.*");
    assertThat(run.out()).contains("Java " + Runtime.version().feature());
  }

  @Test
  void shouldExitTwoWithUsageForNoOrUnknownCommand() {
    var none = Cli.run();
    var unknown = Cli.run("frobnicate");

    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("missing command", "Usage: snakepit");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("frobnicate");
  }

  @Test
  void shouldDescribeNameValueArgumentsInCallHelp() {
    var run = Cli.run("call", "--help");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("NAME=VALUE", "--timeout", "--stream", "--output", "--adapter", "--verbose");
  }
}
