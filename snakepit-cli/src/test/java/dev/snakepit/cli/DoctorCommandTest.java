package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import dev.snakepit.junit.SnakepitLeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code snakepit doctor} on the repo's own setup, and on broken ones. */
@ExtendWith(SnakepitLeakCheck.class)
class DoctorCommandTest {

  @Test
  void shouldPassEveryCheckOnTheRepoSetup() {
    var run = Cli.run("doctor");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    for (var check : new String[] {"Java", "Python", "grpcio", "protobuf", "snakepit_bridge", "adapter", "worker"}) {
      assertThat(run.outLines()).as(check).anySatisfy(line -> assertThat(line).startsWith(" ✓ " + check + " "));
    }
    assertThat(run.out()).contains("started in", "answered Ping");
  }

  @Test
  void shouldFailAndSayHowToFixAMissingInterpreter() {
    var run = Cli.run("doctor", "--python", "/no/such/python3");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).startsWith(" ✗ Python").contains("/no/such/python3"));
    assertThat(run.out()).contains("fix: ", "--python PATH");
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).startsWith(" – worker").contains("skipped"));
  }

  @Test
  void shouldFailOnAnAdapterThatDoesNotImportWithoutStartingAWorker() {
    var run = Cli.run("doctor", "--adapter", "no_such_module.NoAdapter");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).startsWith(" ✓ Python"));
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).startsWith(" ✗ adapter")
        .contains("ModuleNotFoundError").contains("no_such_module"));
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).startsWith(" – worker"));
  }

  @Test
  void shouldWarnButPassWhenThePythonIsAPyenvShim(@TempDir Path dir) throws Exception {
    var realPython = dev.snakepit.SnakepitConfig.defaults().python().toAbsolutePath();
    var shim = dir.resolve("python3");
    Files.writeString(shim, "#!/usr/bin/env bash\n# stand-in for a pyenv shim: pyenv exec python3\nexec " + realPython + " \"$@\"\n");
    Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));

    var run = Cli.run("doctor", "--python", shim.toString());

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.outLines()).anySatisfy(line -> assertThat(line).startsWith(" ! Python").contains("pyenv shim"));
    assertThat(run.out()).contains("pyenv which python3", "All checks passed with 1 warning.");
  }

  @Test
  void shouldCompareVersionsNumerically() {
    assertThat(DoctorCommand.compareVersions("1.10.0", "1.9")).isPositive();
    assertThat(DoctorCommand.compareVersions("7.36.2", "7.36.2")).isZero();
    assertThat(DoctorCommand.compareVersions("3.9.18", "3.10")).isNegative();
    assertThat(DoctorCommand.compareVersions("7.36.2rc1", "7.36.2")).isZero();
  }
}
