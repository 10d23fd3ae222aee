package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CLI half of the bad-input catalogue (docs/reliability.md): bad flags and values are usage
 * errors (exit 2) that name the flag and the value; an interpreter or adapter that cannot serve is a
 * failure (exit 1) that says which and what to do; nothing leaks.
 */
@ExtendWith(SnakepitLeakCheck.class)
class CliCatalogueTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
    "call add --no-such-option       | Unknown option: '--no-such-option'",
    "call add --workers abc          | '--workers': 'abc' is not an int",
    "call add --workers 0            | workers must be between 1 and 256, was 0",
    "call add --timeout soon         | 'soon' is not a duration; use for example",
    "call add --startup-timeout 0    | '0' is not a positive duration",
    "tools --adapter notdotted       | adapter must be a dotted path 'module.Class'",
    "call add a2                     | argument 'a2' is not NAME=VALUE",
    "call add a=1 a=2                | argument 'a' is given twice",
    "call echo message=@/nonexistent | no such file '/nonexistent'",
    "soak --duration 5s --warmup 9s  | must be shorter than --duration",
  })
  void badFlagOrValueIsAUsageErrorNamingIt(String args, String expected) {
    var run = Cli.run(args.trim().split("\\s+"));

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).as(run.toString()).contains(expected.trim()).contains("--help");
  }

  @Test
  void missingInterpreterSaysHowToSetOne() {
    var run = Cli.run("tools", "--python", "/nonexistent/python3");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.err()).contains("/nonexistent/python3").contains("SNAKEPIT_PYTHON");
  }

  @Test
  void interpreterThatIsNotPythonIsCalledOut() {
    var run = Cli.run("tools", "--python", "/bin/true");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.err()).contains("is the configured interpreter a Python 3.10+").contains("--python");
  }

  @Test
  void adapterImportErrorShowsThePythonError() {
    var run = Cli.run("tools", "--adapter", "no_such_module.NoAdapter");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.err()).contains("could not be imported").contains("No module named 'no_such_module'");
  }

  @Test
  void classThatIsNotAnAdapterIsRefused() {
    var run = Cli.run("tools", "--adapter", "json.JSONDecoder");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.err()).contains("'json.JSONDecoder' is not an adapter class").contains("subclass snakepit_bridge.BaseAdapter");
  }

  @Test
  void unknownToolThroughTheCliSuggestsTheClosest() {
    var run = Cli.run("call", "ehco", "message=x");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.err()).contains("ehco").contains("echo");
  }
}
