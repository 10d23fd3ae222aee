package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.snakepit.junit.SnakepitLeakCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Docker's default /dev/shm is 64 MB: a child JVM in a private mount namespace with a 64 MB tmpfs on
 * /dev/shm moves 100 MB both ways on either transport (the hand-off falls back to in-message bytes,
 * logged once per side),
 * and {@code snakepit doctor} shows the space. Needs root and {@code unshare}; skipped otherwise.
 */
@ExtendWith(SnakepitLeakCheck.class)
class SmallSharedMemoryTest {

  private static record Result(int exit, String out, String err) {}

  private static Result inSmallShm(Path dir, String... cliArgs) throws IOException, InterruptedException {
    var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        "dev.snakepit.cli.SnakepitCli"));
    command.addAll(List.of(cliArgs));
    var script = "mount -t tmpfs -o size=64m tmpfs /dev/shm && exec \"$@\"";
    var full = new ArrayList<>(List.of("unshare", "-m", "sh", "-c", script, "sh"));
    full.addAll(command);
    var out = dir.resolve("stdout.txt");
    var err = dir.resolve("stderr.txt");
    var process = new ProcessBuilder(full).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("the child CLI finished").isTrue();
    return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  private static boolean canUnshare() {
    try {
      var probe = new ProcessBuilder("unshare", "-m", "true").redirectErrorStream(true).start();
      return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"lane", "grpc"})
  void hundredMegabytesTravelBothWaysThroughA64MegabyteShm(String transport, @TempDir Path dir) throws Exception {
    assumeTrue(canUnshare(), "needs root and unshare -m (a private mount namespace)");
    var payload = new byte[100_000_000];
    new Random(64).nextBytes(payload);
    var input = dir.resolve("in.bin");
    var output = dir.resolve("out.bin");
    Files.write(input, payload);

    var run = inSmallShm(dir, "call", "echo_bytes", "data=@" + input, "--output", output.toString(), "--compact",
        "--transport", transport);

    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(Files.mismatch(input, output)).isEqualTo(-1L);
    // The fallback is logged once per side, not per call.
    assertThat(run.err()).containsOnlyOnce("large arguments travel inside messages while it fails (logged once")
        .contains("sending results inside messages instead (logged once)");
  }

  @Test
  void doctorShowsTheSharedMemorySpace(@TempDir Path dir) throws Exception {
    assumeTrue(canUnshare(), "needs root and unshare -m (a private mount namespace)");

    var run = inSmallShm(dir, "doctor");

    assertThat(run.out()).as(run.toString()).containsPattern("shared memory\\s+/dev/shm: 6[34] MiB free of 64 MiB")
        .contains("--shm-size");
  }
}
