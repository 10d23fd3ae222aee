package dev.snakepit.catalogue;

import static dev.snakepit.catalogue.Catalogue.fails;
import static dev.snakepit.catalogue.Catalogue.servesNextCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.CallInterceptor;
import dev.snakepit.CallOptions;
import dev.snakepit.CallTimeoutException;
import dev.snakepit.InvalidArgumentsException;
import dev.snakepit.PayloadTooLargeException;
import dev.snakepit.PoolClosedException;
import dev.snakepit.PoolEventListener;
import dev.snakepit.SessionException;
import dev.snakepit.Snakepit;
import dev.snakepit.ToolNotFoundException;
import dev.snakepit.testsupport.LeakCheck;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bad input through the Java API: each case fails with a typed, explanatory error and the pool goes on. */
@ExtendWith(LeakCheck.class)
class ApiCatalogueTest {
  private static final AtomicInteger LISTENER_CALLS = new AtomicInteger();
  private static final AtomicInteger INTERCEPTOR_CALLS = new AtomicInteger();
  private static Snakepit pit;

  @BeforeAll
  static void startPool() {
    var throwingListener = new PoolEventListener() {
      @Override
      public void callStarted(CallStarted event) {
        LISTENER_CALLS.incrementAndGet();
        throw new IllegalStateException("listener bug (catalogue)");
      }

      @Override
      public void callFinished(CallFinished event) {
        throw new IllegalStateException("listener bug (catalogue)");
      }
    };
    var throwingInterceptor = new CallInterceptor() {
      @Override
      public Completion toolCall(ToolCall call, Map<String, String> metadata) {
        INTERCEPTOR_CALLS.incrementAndGet();
        if (call.tool().equals("echo")) {
          throw new IllegalStateException("interceptor bug (catalogue)");
        }
        return (workerId, error) -> {
          throw new IllegalStateException("completion bug (catalogue)");
        };
      }
    };
    pit = Snakepit.start(Catalogue.hostilePool().maxMessageSize(1 << 20)
        .eventListener(throwingListener).callInterceptor(throwingInterceptor).build());
  }

  @AfterAll
  static void closePool() {
    pit.close();
  }

  @AfterEach
  void poolServesTheNextCall() {
    servesNextCall(pit);
  }

  @Test
  void nullToolNameIsRejectedBeforeDispatch() {
    fails(() -> pit.execute(null, Map.of()), InvalidArgumentsException.class, "tool name");
  }

  @Test
  void blankToolNameIsRejectedBeforeDispatch() {
    fails(() -> pit.execute("  ", Map.of()), InvalidArgumentsException.class, "tool name");
  }

  @Test
  void unknownToolNamesTheClosestTool() {
    var error = fails(() -> pit.execute("ad", Map.of()), ToolNotFoundException.class, "ad");
    assertThat(error.getMessage()).contains("add");
  }

  @Test
  void nullArgumentMapMeansNoArgumentsAndMissingOnesAreNamed() {
    fails(() -> pit.execute("add", null), InvalidArgumentsException.class, "'a'");
  }

  @Test
  void nullArgumentNameIsRejected() {
    var arguments = new HashMap<String, Object>();
    arguments.put(null, 1);
    fails(() -> pit.execute("echo", arguments), InvalidArgumentsException.class, "argument names");
  }

  @Test
  void emptyArgumentNameIsRejected() {
    fails(() -> pit.execute("echo", Map.of("", 1)), InvalidArgumentsException.class, "argument names");
  }

  @Test
  void argumentOfAnUnknownParameterIsNamed() {
    fails(() -> pit.execute("add", Map.of("a", 1, "b", 2, "c", 3)), InvalidArgumentsException.class, "'c'");
  }

  @Test
  void argumentOfTheWrongTypeNamesExpectedAndReceived() {
    fails(() -> pit.execute("add", Map.of("a", "one", "b", 2)), InvalidArgumentsException.class, "'a'", "float");
  }

  @Test
  void nonSerializableArgumentNamesTheArgumentAndWhatToPass() {
    fails(() -> pit.execute("echo", Map.of("value", new Object())), InvalidArgumentsException.class,
        "'value'", "byte[]");
  }

  @Test
  void streamArgumentIsNotSerializable() {
    fails(() -> pit.execute("echo", Map.of("value", new ByteArrayInputStream(new byte[4]))),
        InvalidArgumentsException.class, "'value'", "JSON");
  }

  @Test
  void cyclicMapIsRejectedNotAStackOverflow() {
    var cyclic = new HashMap<String, Object>();
    cyclic.put("self", cyclic);
    fails(() -> pit.execute("echo", Map.of("value", cyclic)), InvalidArgumentsException.class, "'value'");
  }

  @Test
  void cyclicListIsRejectedNotAStackOverflow() {
    var cyclic = new ArrayList<Object>();
    cyclic.add(cyclic);
    fails(() -> pit.execute("echo", Map.of("value", cyclic)), InvalidArgumentsException.class, "'value'");
  }

  @Test
  void deeplyNestedArgumentIsRejectedWithTheLimit() {
    Object value = List.of();
    for (int i = 0; i < 5_000; i++) {
      value = List.of(value);
    }
    var nested = value;
    fails(() -> pit.execute("depth", Map.of("value", nested)), InvalidArgumentsException.class, "'value'", "depth");
  }

  @Test
  void moderatelyNestedArgumentArrives() {
    Object value = List.of();
    for (int i = 0; i < 200; i++) {
      value = List.of(value);
    }
    assertThat(pit.execute("depth", Map.of("value", value)).asLong()).isEqualTo(200);
  }

  @Test
  void hugeStringOverTheMessageLimitNamesTheArgumentAndTheLimit() {
    var huge = "x".repeat(2 << 20);
    fails(() -> pit.execute("echo", Map.of("value", huge)), PayloadTooLargeException.class, "'value'", "maxMessageSize");
  }

  @Test
  void hugeByteArrayOverTheMessageLimitIsTooLarge() {
    fails(() -> pit.execute("echo", Map.of("value", new byte[3 << 20])), PayloadTooLargeException.class, "'value'");
  }

  /*
   * NaN and the infinities reach Python as the floats they are, as results bring them back (issue 12,
   * Snakepit-compatible graceful serialization): not the strings "NaN"/"Infinity", not refused.
   */
  @Test
  void nanArgumentReachesPythonAsAFloat() {
    assertThat(pit.execute("add", Map.of("a", Double.NaN, "b", 1)).asDouble()).isNaN();
    assertThat(pit.execute("echo", Map.of("value", Double.NaN)).json()).isEqualTo("NaN");
  }

  @Test
  void infinitiesNestedInAListReachPythonAsFloats() {
    var result = pit.execute("echo", Map.of("value", List.of(1.0, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)));
    assertThat(result.json()).isEqualTo("[1.0,Infinity,-Infinity]");
    assertThat(result.as(double[].class)).containsExactly(1.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
  }

  @Test
  void readOnlyAndDirectBuffersTravelAsBytes() {
    var direct = ByteBuffer.allocateDirect(16).put(new byte[16]).flip().asReadOnlyBuffer();
    assertThat(pit.execute("echo", Map.of("value", direct)).bytes()).hasSize(16);
  }

  @Test
  void blankSessionIdIsRejectedWithTheRule() {
    fails(() -> pit.session(" "), IllegalArgumentException.class, "session id", "1 to 256");
  }

  @Test
  void overlongSessionIdIsRejectedWithTheRule() {
    fails(() -> pit.session("s".repeat(300)), IllegalArgumentException.class, "session id", "1 to 256");
  }

  @Test
  void nullSessionIdIsRejected() {
    fails(() -> pit.session(null), NullPointerException.class, "id");
  }

  @Test
  void callOnAClosedSessionSaysItIsClosed() {
    var session = pit.session("catalogue-closed");
    session.close();
    fails(() -> session.execute("add", Map.of("a", 1, "b", 2)), SessionException.class, "catalogue-closed", "closed");
  }

  @Test
  void nonPositiveTimeoutIsRejectedWithTheValue() {
    fails(() -> CallOptions.defaults().withTimeout(Duration.ZERO), IllegalArgumentException.class, "timeout", "PT0S");
  }

  @Test
  void tinyTimeoutTimesOutTypedAndTheWorkerIsFreed() {
    fails(() -> pit.execute("echo", Map.of("value", 1), CallOptions.defaults().withTimeout(Duration.ofNanos(1))),
        CallTimeoutException.class, "echo");
  }

  @Test
  void throwingListenerDoesNotFailTheCall() {
    int before = LISTENER_CALLS.get();
    assertThat(pit.execute("add", Map.of("a", 1, "b", 2)).asLong()).isEqualTo(3);
    assertThat(LISTENER_CALLS.get()).isGreaterThan(before);
  }

  @Test
  void throwingInterceptorDoesNotFailTheCall() {
    int before = INTERCEPTOR_CALLS.get();
    assertThat(pit.execute("echo", Map.of("value", "still served")).asText()).isEqualTo("still served");
    assertThat(INTERCEPTOR_CALLS.get()).isGreaterThan(before);
  }

  @Test
  void readingAResultAsTheWrongTypeNamesTheTool() {
    var result = pit.execute("echo", Map.of("value", "text"));
    fails(result::asLong, IllegalStateException.class, "echo", "not an integer");
  }
}
