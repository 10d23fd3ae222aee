package dev.snakepit.junit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.snakepit.CallOptions;
import dev.snakepit.Snakepit;
import dev.snakepit.testsupport.Waiting;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Python log records reach the application's SLF4J backend (Logback here) on a logger named after
 * the Python logger, with the worker, pool, tool and correlation id in the MDC.
 */
@SnakepitTest(adapter = "junit_test_adapters.chatty.ChattyAdapter", pythonPath = "src/test/python", poolName = "logs")
class ForwardedWorkerLogsTest {
  private static final String LOGGER = "python.junit_test_adapters.chatty";

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private Logger logger;

  @BeforeEach
  void capture() {
    logger = (Logger) LoggerFactory.getLogger(LOGGER);
    logger.setLevel(Level.DEBUG);
    appender.start();
    logger.addAppender(appender);
  }

  @AfterEach
  void release() {
    logger.detachAppender(appender);
    logger.setLevel(null);
  }

  private ILoggingEvent awaitRecord(String message) {
    var found = new ILoggingEvent[1];
    Waiting.require("a forwarded record containing '" + message + "'", Duration.ofSeconds(10), () -> {
      synchronized (appender.list) {
        for (var event : appender.list) {
          if (event.getFormattedMessage().contains(message)) {
            found[0] = event;
            return true;
          }
        }
        return false;
      }
    }, () -> "records: " + appender.list);
    return found[0];
  }


  @Test
  void aWarningCarriesTheWorkerPoolToolAndCorrelationIdInTheMdc(Snakepit pit) {
    var options = CallOptions.defaults().withMetadata("correlation_id", "cid-mdc-1");
    pit.execute("say", Map.of("message", "the cache is cold"), options);

    var record = awaitRecord("the cache is cold");
    assertThat(record.getLevel()).isEqualTo(Level.WARN);
    assertThat(record.getLoggerName()).isEqualTo(LOGGER);
    assertThat(record.getMDCPropertyMap())
        .containsEntry("snakepit.worker_id", pit.workerIds().getFirst())
        .containsEntry("snakepit.pool", "logs")
        .containsEntry("snakepit.tool", "say")
        .containsEntry("snakepit.correlation_id", "cid-mdc-1");
  }

  @Test
  void infoChatterIsForwardedAtDebugByDefault(Snakepit pit) {
    pit.execute("say", Map.of("message", "loaded 3 models", "level", "INFO"));

    var record = awaitRecord("loaded 3 models");
    assertThat(record.getLevel()).isEqualTo(Level.DEBUG);
    assertThat(record.getMDCPropertyMap()).containsEntry("snakepit.worker_id", pit.workerIds().getFirst());
  }
}
