package dev.snakepit.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A user's first project: a throwaway Maven project in a temporary directory outside this
 * repository, whose only Snakepit dependency is the installed {@code snakepit-spring-boot-starter}
 * (versions from {@code snakepit-bom}), with {@code snakepit.python.requirements} set. It is built
 * with Maven and run as a plain {@code java} program on this JDK.
 */
class ThrowawayProjectTest {
  private static final Duration BUILD_BUDGET = Duration.ofMinutes(8);
  private static final Duration RUN_BUDGET = Duration.ofMinutes(8);

  private Path project;

  @AfterEach
  void deleteProject() throws IOException {
    if (project == null) {
      return;
    }
    try (var paths = Files.walk(project)) {
      for (var path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  @Test
  void shouldCallAToolFromTheManagedEnvironmentReportHealthUpAndLeaveNothingBehind() throws Exception {
    var repoRoot = Path.of(System.getProperty("snakepit.repoRoot")).toAbsolutePath().normalize();
    project = Files.createTempDirectory("snakepit-throwaway-");
    assertThat(project.startsWith(repoRoot)).as("the project lives outside the repository").isFalse();
    copyTemplate(project);

    var build = run(List.of(repoRoot.resolve("mvnw").toString(), "-B", "-q", "-f", project.resolve("pom.xml").toString(),
        "-Dmaven.repo.local=" + System.getProperty("snakepit.it.repository"),
        "-Dmaven.repo.local.tail=" + System.getProperty("maven.repo.local"),
        "compile", "dependency:build-classpath", "-Dmdep.outputFile=" + project.resolve("classpath.txt")), BUILD_BUDGET);
    assertThat(build.exitCode()).as("the throwaway project builds:\n%s", build.output()).isZero();

    var javaCommand = System.getProperty("snakepit.it.java", ProcessHandle.current().info().command().orElse("java"));
    var classpath = project.resolve("target/classes") + java.io.File.pathSeparator
        + Files.readString(project.resolve("classpath.txt")).strip();
    var app = run(List.of(javaCommand, "-cp", classpath, "demo.App"), RUN_BUDGET);

    assertThat(app.exitCode()).as("the application exits cleanly:\n%s", app.output()).isZero();
    assertThat(app.output()).contains("RESULT 1.17.0").contains("HEALTH UP");
    assertThat(app.output().lines().filter(l -> l.startsWith("WARNING:")).toList())
        .as("JVM warnings in:\n%s", app.output()).isEmpty();
    var pids = app.output().lines().filter(l -> l.startsWith("PIDS ")).findFirst().orElseThrow()
        .substring(5).split(",");
    assertThat(pids).isNotEmpty();
    for (var pid : pids) {
      assertThat(waitForExit(Long.parseLong(pid.strip()), Duration.ofSeconds(20))).as("worker %s is gone", pid).isTrue();
    }
  }

  private static void copyTemplate(Path target) throws Exception {
    var template = Path.of(ThrowawayProjectTest.class.getResource("/throwaway").toURI());
    try (var paths = Files.walk(template)) {
      for (var source : paths.toList()) {
        var destination = target.resolve(template.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(destination);
        } else {
          var text = Files.readString(source, StandardCharsets.UTF_8)
              .replace("@snakepit.version@", System.getProperty("snakepit.version"))
              .replace("@spring-boot.version@", System.getProperty("spring-boot.version"));
          Files.writeString(destination, text, StandardCharsets.UTF_8);
        }
      }
    }
  }

  private record Run(int exitCode, String output) {}

  private Run run(List<String> command, Duration budget) throws Exception {
    var log = Files.createTempFile(project, "run-", ".log");
    var process = new ProcessBuilder(new ArrayList<>(command)).directory(project.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    process.getOutputStream().close();
    if (!process.waitFor(budget.toMillis(), TimeUnit.MILLISECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      return new Run(-1, "timed out after " + budget + ": " + String.join(" ", command) + "\n" + Files.readString(log));
    }
    return new Run(process.exitValue(), Files.readString(log));
  }

  private static boolean waitForExit(long pid, Duration budget) throws InterruptedException {
    var deadline = Instant.now().plus(budget);
    while (Instant.now().isBefore(deadline)) {
      if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

}
