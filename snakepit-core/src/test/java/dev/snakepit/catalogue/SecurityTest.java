package dev.snakepit.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.CallOptions;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.Snakepit;
import dev.snakepit.testing.CapturedStderr;
import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Security properties as tests: owner-only run and shared-memory directories and files, the token
 * compared in constant time and never logged or put in an error, pickle refused unless allowed.
 * (Loopback-only listening is checked by WireCatalogueTest with the sockets the kernel reports.)
 */
@ExtendWith(LeakCheck.class)
class SecurityTest {
  private static final String HOSTILE = "snakepit_test_adapters.hostile.HostileAdapter";
  private static final Path REPO = Path.of(System.getProperty("snakepit.repoRoot", "..")).toAbsolutePath().normalize();

  private static List<Path> ownRunDirectories(String pool) throws IOException {
    var prefix = "snakepit-" + pool + "-" + ProcessHandle.current().pid() + "-";
    try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
    }
  }

  private static void assertOwnerOnly(Path root) throws IOException {
    try (Stream<Path> tree = Files.walk(root)) {
      for (var path : tree.toList()) {
        var permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        assertThat(permissions).as(path + " is " + PosixFilePermissions.toString(permissions))
            .doesNotContain(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
      }
    }
  }

  @Test
  void runDirectoryAndEverythingInItAreOwnerOnly() throws IOException {
    try (var pit = Snakepit.start(TestPools.config().poolName("secdir").build())) {
      var dirs = ownRunDirectories("secdir");
      assertThat(dirs).hasSize(1);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dirs.getFirst()))).isEqualTo("rwx------");
      assertOwnerOnly(dirs.getFirst());
      pit.execute("echo", Map.of("message", "x"));
    }
  }

  @Test
  void sharedMemoryDirectoryAndSlotsAreOwnerOnly() throws IOException {
    var shm = Path.of("/dev/shm");
    try (var pit = Snakepit.start(TestPools.config().poolName("secshm").build())) {
      // A payload large enough to travel through shared memory, both ways.
      assertThat(pit.execute("echo_bytes", Map.of("data", new byte[8 << 20])).bytes()).hasSize(8 << 20);
      var own = "snakepit-" + ProcessHandle.current().pid() + "-";
      try (Stream<Path> entries = Files.list(shm)) {
        for (var dir : entries.filter(p -> p.getFileName().toString().contains(own)).toList()) {
          assertOwnerOnly(dir);
        }
      }
    }
  }

  @Test
  void tokenNeverAppearsInLogsOrErrors() throws Exception {
    String token;
    String everything;
    var messages = new StringBuilder();
    try (var captured = new CapturedStderr();
        var pit = Snakepit.start(TestPools.config().poolName("sectoken").adapter(HOSTILE).build())) {
      long pid = pit.workerPids().getFirst();
      token = Procfs.environment(pid).get("SNAKEPIT_AUTH_TOKEN");
      assertThat(token).hasSizeGreaterThanOrEqualTo(32);
      for (var tool : List.of("unencodable", "no_such_tool", "exit_process")) {
        try {
          pit.execute(tool, Map.of());
        } catch (RuntimeException e) {
          var text = new java.io.StringWriter();
          e.printStackTrace(new java.io.PrintWriter(text));
          messages.append(text);
        }
      }
      pit.execute("add", Map.of("a", 1, "b", 1));
      everything = captured.text();
    }
    assertThat(messages.toString()).isNotEmpty().doesNotContain(token);
    assertThat(everything).as("logs and forwarded worker output").isNotEmpty().doesNotContain(token);
  }

  @Test
  void pickleIsRefusedUnlessTheWorkerAllowsIt() throws Exception {
    // A pickled payload whose unpickling would run code.
    var pickled = "cos\nsystem\n(S'true'\ntR.".getBytes(StandardCharsets.US_ASCII);
    var asPickle = CallOptions.defaults().withMetadata("binary_format:value", "pickle");
    try (var pit = Snakepit.start(TestPools.config().poolName("secpickle").adapter(HOSTILE).build())) {
      assertThatThrownBy(() -> pit.execute("echo", Map.of("value", pickled), asPickle))
          .isInstanceOf(InvalidArgumentsException.class).hasMessageContaining("pickle")
          .hasMessageContaining("SNAKEPIT_ALLOW_PICKLE");
      // Without the marker the bytes are just bytes.
      assertThat(pit.execute("echo", Map.of("value", pickled)).bytes()).isEqualTo(pickled);
    }
    try (var pit = Snakepit.start(TestPools.config().poolName("secpickle2").adapter(HOSTILE)
        .workerEnvironment("SNAKEPIT_ALLOW_PICKLE", "1").build())) {
      var allowed = new byte[] {(byte) 0x80, 4, 'K', 42, '.'}; // pickle of the int 42
      assertThat(pit.execute("echo", Map.of("value", allowed), asPickle).asLong()).isEqualTo(42);
    }
  }

  @Test
  void tokensAreComparedInConstantTimeOnBothSides() throws IOException {
    var java = Files.readString(REPO.resolve(
        "snakepit-core/src/main/java/dev/snakepit/internal/transport/grpc/AuthToken.java"));
    assertThat(java).contains("MessageDigest.isEqual(");
    assertThat(java).doesNotContainPattern("presented\\s*\\.equals\\(|\\.equals\\(\\s*presented");
    try (Stream<Path> sources = Files.walk(REPO.resolve("python/src/snakepit_bridge"))) {
      for (var source : sources.filter(p -> p.toString().endsWith(".py")).toList()) {
        var text = Files.readString(source);
        // Any comparison with a token must go through hmac.compare_digest.
        assertThat(text).as(source.toString()).doesNotContainPattern("(token|presented)\\s*[!=]=\\s*(?!None)[\\w.\"']")
            .doesNotContainPattern("[\\w.\"')\\]]\\s*[!=]=\\s*(self\\.)?_?token\\b");
      }
    }
  }
}
