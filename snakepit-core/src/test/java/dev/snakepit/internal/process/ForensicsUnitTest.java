package dev.snakepit.internal.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a worker's stack dump is read from its stderr and where its OOM-kill count is found: no processes. */
class ForensicsUnitTest {
  @TempDir
  Path root;

  @Test
  void aStackDumpIsEveryThreadBlockUpToTheFirstLineThatIsNotPartOfIt() {
    var dump = new StackDump();
    dump.line("INFO some log line before the dump");
    dump.line("Thread 0x00007f942befc6c0 (most recent call first):");
    dump.line("  File \"/adapters/hostile.py\", line 5 in _stuck_helper");
    dump.line("");
    dump.line("Current thread 0x00007f942ca4db80 (most recent call first):");
    dump.line("  File \"/adapters/hostile.py\", line 8 in stuck");
    dump.line("INFO a log line after it");
    dump.line("  File \"never.py\", line 1 in after_the_end");
    var text = dump.await(Duration.ofSeconds(5));
    assertThat(text).startsWith("Thread 0x00007f942befc6c0").contains("in _stuck_helper").endsWith("line 8 in stuck")
        .doesNotContain("INFO").doesNotContain("after_the_end");
  }

  @Test
  void noDumpWithinTheWaitIsNull() {
    var dump = new StackDump();
    dump.line("  File \"x.py\", line 1 in f");
    assertThat(dump.await(Duration.ofMillis(1))).isNull();
  }

  @Test
  void cgroupV1MemoryControllerCountsOomKillsInMemoryOomControl() throws IOException {
    var dir = Files.createDirectories(root.resolve("memory/process_api/abc"));
    Files.writeString(dir.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    var cgroup = MemoryCgroup.resolve("9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n", root);
    assertThat(cgroup.counterFile()).isEqualTo(dir.resolve("memory.oom_control"));
    assertThat(cgroup.oomKills()).isEqualTo(3);
  }

  @Test
  void cgroupV2CountsOomKillsInMemoryEvents() throws IOException {
    var dir = Files.createDirectories(root.resolve("system.slice/app.service"));
    Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n");
    var cgroup = MemoryCgroup.resolve("0::/system.slice/app.service\n", root);
    assertThat(cgroup.oomKills()).isEqualTo(2);
  }

  @Test
  void aCgroupNamespaceShowsTheRootAndTheMountIsThatRoot() throws IOException {
    Files.writeString(root.resolve("memory.events"), "oom_kill 1\n");
    assertThat(MemoryCgroup.resolve("0::/\n", root).oomKills()).isEqualTo(1);
  }

  @Test
  void noMemoryControllerMeansNoEvidence() {
    assertThat(MemoryCgroup.resolve("0::/user.slice\n", root)).isNull();
    assertThat(MemoryCgroup.resolve("garbage", root)).isNull();
  }
}
