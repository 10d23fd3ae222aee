package dev.snakepit.catalogue;

import static dev.snakepit.catalogue.Catalogue.BOUND;
import static dev.snakepit.catalogue.Catalogue.fails;
import static dev.snakepit.catalogue.Catalogue.servesNextCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.snakepit.CallOptions;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.Snakepit;
import dev.snakepit.WorkerCrashedException;
import dev.snakepit.testing.CapturedStderr;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testsupport.Waiting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user learns when a worker dies badly or hangs (issue 16, crash forensics), with real
 * workers: the Python stacks of a stuck worker, and an OOM kill told apart from a plain SIGKILL.
 * (Segfault and abort stacks: {@link WorkerCatalogueTest}.)
 */
@ExtendWith(LeakCheck.class)
class ForensicsTest {
  private static final Pattern THREAD_HEADER = Pattern.compile("(?m)^(Current thread|Thread) 0x[0-9a-f]+ \\(most recent call first\\):$");

  @TempDir
  Path temp;

  @Test
  void aStuckWorkerIsRecycledWithThePythonStacksOfAllItsThreadsInTheLogAndTheEvent() {
    var recycled = new CopyOnWriteArrayList<PoolEventListener.WorkerRecycled>();
    var listener = new PoolEventListener() {
      @Override
      public void workerRecycled(WorkerRecycled event) {
        recycled.add(event);
      }
    };
    try (var log = new CapturedStderr();
        var pit = Snakepit.start(Catalogue.hostilePool().poolName("stuckdump").stuckCallGrace(Duration.ofMillis(300))
            .eventListener(listener).build())) {
      fails(() -> pit.execute("stuck", Map.of("ms", 60_000), CallOptions.defaults().withTimeout(Duration.ofMillis(300))),
          CallTimeoutException.class, "stuck");

      Waiting.require("the stuck worker to be recycled", BOUND, () -> !recycled.isEmpty());
      var stacks = recycled.getFirst().pythonStacks();
      assertThat(stacks).as("the dump of every thread").isNotNull().contains("in stuck").contains("in _stuck_helper");
      assertThat(THREAD_HEADER.matcher(stacks).results().count()).as("thread blocks").isGreaterThanOrEqualTo(2);
      assertThat(recycled.getFirst().reason()).contains("still busy");
      Waiting.require("the dump in the log", BOUND, () -> log.text().contains("Python stacks of all its threads"));
      var logged = log.text().substring(log.text().indexOf("Python stacks of all its threads"));
      assertThat(logged).contains("in stuck").contains("in _stuck_helper");
      servesNextCall(pit);
    }
  }

  /**
   * Runs the worker in a memory cgroup limited to 256 MiB (a child of this JVM's own, which only
   * narrows it), through an interpreter wrapper that joins the cgroup and execs Python; a tool that
   * allocates past the limit is killed by the kernel's OOM killer. Needs root and a memory cgroup
   * this process may create children in (cgroup v1 memory controller or v2), as on the CI machine.
   */
  @Test
  void aWorkerKilledByTheOomKillerIsReportedAsSuchNotAsABareSigkill() throws Exception {
    var cgroup = childMemoryCgroup();
    assumeThat(cgroup).as("a memory cgroup this test may create (root, cgroup memory controller)").isNotNull();
    try {
      var python = TestPools.config().build().python().toAbsolutePath();
      var wrapper = temp.resolve("python-in-cgroup");
      Files.writeString(wrapper, "#!/bin/sh\necho $$ > " + cgroup.resolve("cgroup.procs") + "\nexec " + python + " \"$@\"\n");
      Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
      try (var pit = Snakepit.start(Catalogue.hostilePool().poolName("oomkill").python(wrapper).build())) {
        var crash = fails(() -> pit.execute("allocate", Map.of("mb", 4096)), WorkerCrashedException.class,
            "allocate", "signal 9", "OOM killer", "oom_kill", "maxWorkerMemory");
        assertThat(crash.killedByOomKiller()).isTrue();
        assertThat(crash.oomKillEvidence()).hasValueSatisfying(e -> assertThat(e).contains(cgroup.getFileName().toString()));
        Waiting.require("a replacement", BOUND, () -> pit.stats().workers() == 1);
        servesNextCall(pit);
      }
    } finally {
      removeWhenEmpty(cgroup);
    }
  }

  /** A fresh child of this process's memory cgroup limited to 256 MiB, or null where none can be made. */
  private static Path childMemoryCgroup() throws IOException {
    for (var line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      var fields = line.split(":", 3);
      if (fields.length == 3 && List.of(fields[1].split(",")).contains("memory")) {
        var parent = Path.of("/sys/fs/cgroup/memory", fields[2].substring(1));
        if (!Files.isWritable(parent)) {
          return null;
        }
        var child = Files.createDirectory(parent.resolve("snakepit-oom-" + ProcessHandle.current().pid()));
        long limit = 256L << 20;
        Files.writeString(child.resolve("memory.limit_in_bytes"), Long.toString(limit));
        if (Files.exists(child.resolve("memory.memsw.limit_in_bytes"))) {
          Files.writeString(child.resolve("memory.memsw.limit_in_bytes"), Long.toString(limit)); // no escape into swap
        }
        return child;
      }
    }
    var v2 = Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::")).findFirst();
    if (v2.isPresent()) {
      var parent = Path.of("/sys/fs/cgroup", v2.get().substring(4));
      if (Files.isWritable(parent) && Files.exists(parent.resolve("memory.max"))) {
        var child = Files.createDirectory(parent.resolve("snakepit-oom-" + ProcessHandle.current().pid()));
        Files.writeString(child.resolve("memory.max"), Long.toString(256L << 20));
        Files.writeString(child.resolve("memory.swap.max"), "0");
        return child;
      }
    }
    return null;
  }

  private static void removeWhenEmpty(Path cgroup) {
    if (cgroup == null) {
      return;
    }
    Waiting.require("the test cgroup to empty", BOUND, () -> {
      try {
        return Files.readString(cgroup.resolve("cgroup.procs")).isBlank();
      } catch (IOException e) {
        return true;
      }
    });
    try {
      Files.delete(cgroup); // rmdir: a cgroup directory is removed empty-handed, its control files go with it
    } catch (IOException e) {
      throw new AssertionError("could not remove the test cgroup " + cgroup, e);
    }
  }
}
