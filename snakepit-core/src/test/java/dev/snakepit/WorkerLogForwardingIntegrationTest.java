package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testing.CapturedStderr;
import dev.snakepit.testsupport.LeakCheck;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.event.Level;

/**
 * Python logging records and raw output lines reach SLF4J (slf4j-simple at WARN in these tests,
 * writing to System.err) with the worker id and correlation id, at a level the pool controls.
 */
@ExtendWith(LeakCheck.class)
class WorkerLogForwardingIntegrationTest {
  private static final String LOGGER = "python.snakepit_test_adapters.observed";
  private static final Duration BOUND = Duration.ofSeconds(10);

  private static SnakepitConfig.Builder observed() {
    return TestPools.config().adapter("snakepit_test_adapters.observed.ObservedAdapter");
  }

  @Test
  void pythonWarningsAndErrorsAreLoggedAtTheirLevelWithWorkerAndCorrelationIdWhileInfoIsDemoted() {
    try (var pit = Snakepit.start(observed().build()); var err = new CapturedStderr()) {
      var options = CallOptions.defaults().withMetadata("correlation_id", "cid-log-1");
      assertThat(pit.execute("talk", Map.of("marker", "m1"), options).asText()).isEqualTo("cid-log-1");

      Waiting.require("the error record", BOUND, () -> err.text().contains("m1 failed to score"));
      var text = err.text();
      var worker = pit.workerIds().getFirst();
      assertThat(text).contains("WARN " + LOGGER + " - [" + worker + " cid=cid-log-1] m1 careful: weights are stale");
      assertThat(text).contains("ERROR " + LOGGER + " - [" + worker + " cid=cid-log-1] m1 failed to score");
      assertThat(text).contains("Traceback (most recent call last)").contains("ValueError: m1 bad row");
      // INFO and DEBUG were written before the error, and stay below the application's WARN.
      assertThat(text).doesNotContain("m1 info chatter").doesNotContain("m1 debug detail");
      // Never raw JSON: every structured line was parsed.
      assertThat(text).doesNotContain("@snakepit:log");
    }
  }

  @Test
  void workerLogLevelInfoForwardsInfoRecordsAndOutputLinesAtInfo() {
    var config = observed().workerLogLevel(Level.INFO).build();
    try (var pit = Snakepit.start(config); var err = new CapturedStderr()) {
      pit.execute("shout", Map.of("marker", "m2"));

      var worker = pit.workerIds().getFirst();
      // stdout and stderr are pumped by different threads: wait for the last line of each.
      Waiting.require("the final warning", BOUND, () -> err.text().contains("m2 done"));
      Waiting.require("the stdout line", BOUND, () -> err.text().contains("m2 on stdout"));
      // Raw lines are INFO-level output: visible only because the pool asked for INFO.
      assertThat(err.text()).contains("INFO dev.snakepit.worker.stdout - [" + worker + "] m2 on stdout")
          .contains("INFO dev.snakepit.worker.stderr - [" + worker + "] m2 on stderr")
          .contains("WARN " + LOGGER + " - [" + worker);
    }
  }

  @Test
  void forwardingOffKeepsTheApplicationLogQuietButTheStderrTailStillExplainsACrash() {
    var config = observed().forwardWorkerOutput(false).build();
    try (var pit = Snakepit.start(config); var err = new CapturedStderr()) {
      assertThatThrownBy(() -> pit.execute("warn_then_exit", Map.of("marker", "m3")))
          .isInstanceOf(WorkerCrashedException.class)
          // The tail shows the structured record rendered as text, not as JSON.
          .hasMessageContaining("WARNING snakepit_test_adapters.observed: m3 about to exit")
          .message().doesNotContain("@snakepit:log");
      // The record was read into the tail but not forwarded as a log record of its own. (The pool's
      // own crash warning may quote the tail, so look for the forwarding logger, not the text.)
      assertThat(err.text().lines().filter(line -> line.contains(LOGGER))).isEmpty();
    }
  }

  @Test
  void everyCallCarriesACorrelationIdEvenWhenTheCallerGaveNone() {
    try (var pit = Snakepit.start(observed().build())) {
      var first = pit.execute("metadata").asMap().get("correlation_id");
      var second = pit.execute("metadata").asMap().get("correlation_id");
      assertThat(first).asString().matches("[0-9a-f]{16}");
      assertThat(second).asString().matches("[0-9a-f]{16}").isNotEqualTo(first);
      var given = pit.execute("metadata", Map.of(), CallOptions.defaults().withMetadata("correlation_id", "mine"));
      assertThat(given.asMap()).containsEntry("correlation_id", "mine");
    }
  }
}
