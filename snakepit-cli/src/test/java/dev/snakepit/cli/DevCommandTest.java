package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.junit.SnakepitLeakCheck;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code snakepit dev} end to end: calls from stdin, then a changed file brings new workers and a new tool. */
@ExtendWith(SnakepitLeakCheck.class)
class DevCommandTest {
  private static final long BOUND_SECONDS = 90;

  private static final String V1 = """
      from snakepit_bridge import BaseAdapter, tool


      class DevAdapter(BaseAdapter):
          @tool
          def hello(self, name: str = "world") -> str:
              \"\"\"Greet someone.\"\"\"
              return f"Hello, {name}!"
      """;

  private static final String V2 = V1 + """

          @tool
          def shout(self, text: str) -> str:
              \"\"\"Upper-case a text.\"\"\"
              return text.upper()
      """;

  /** A writer that hands out complete lines. */
  static final class Lines extends Writer {
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final StringBuilder all = new StringBuilder();
    private final StringBuilder current = new StringBuilder();

    @Override
    public synchronized void write(char[] buffer, int offset, int length) {
      for (int i = offset; i < offset + length; i++) {
        all.append(buffer[i]);
        if (buffer[i] == '\n') {
          lines.add(current.toString());
          current.setLength(0);
        } else {
          current.append(buffer[i]);
        }
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    /** The next line matching {@code wanted}, skipping others; fails after the bound. */
    String await(Predicate<String> wanted, String what, Lines diagnostics) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
      while (true) {
        var line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new AssertionError("no " + what + " within " + BOUND_SECONDS + " s; stdout:\n" + all + "\nstderr:\n" + diagnostics.all);
        }
        if (wanted.test(line)) {
          return line;
        }
      }
    }
  }

  @Test
  void shouldCallToolsFromStdinAndServeANewToolAfterTheFileChanges(@TempDir Path dir) throws Exception {
    var module = dir.resolve("devmod.py");
    Files.writeString(module, V1);
    var out = new Lines();
    var err = new Lines();
    var stdin = new PipedOutputStream();
    var input = new PipedInputStream(stdin, 64 * 1024);
    var exit = new AtomicInteger(-1);
    var dev = new Thread(() -> exit.set(SnakepitCli.commandLine(Terminal.plain(), input, new PrintWriter(out, true),
        new PrintWriter(err, true)).execute("dev", "--adapter", "devmod.DevAdapter", "--pythonpath", dir.toString())), "dev-under-test");
    dev.start();
    try {
      var ready = out.await(line -> line.contains("\"event\":\"ready\""), "ready event", err);
      assertThat(ready).isEqualTo("{\"event\":\"ready\",\"tools\":[\"hello\"]}");

      send(stdin, "hello name=Ada");
      assertThat(out.await(line -> !line.startsWith("{\"event\""), "result of hello", err)).isEqualTo("\"Hello, Ada!\"");
      send(stdin, "hello 'name=Grace Hopper'");
      assertThat(out.await(line -> !line.startsWith("{\"event\""), "result of hello", err)).isEqualTo("\"Hello, Grace Hopper!\"");

      Files.writeString(module, V2);
      var reloaded = out.await(line -> line.contains("\"event\":\"reloaded\""), "reloaded event", err);
      assertThat(reloaded).contains("\"added\":[\"shout\"]", "\"removed\":[]", "\"tools\":[\"hello\",\"shout\"]");

      send(stdin, "shout text=hi");
      assertThat(out.await(line -> !line.startsWith("{\"event\""), "result of shout", err)).isEqualTo("\"HI\"");
      send(stdin, "nope");
      assertThat(out.await(line -> !line.startsWith("{\"event\""), "error line", err))
          .startsWith("{\"error\":{").contains("ToolNotFoundException");
    } finally {
      stdin.close();
      dev.join(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
    }
    assertThat(dev.isAlive()).as("dev ended at the end of stdin").isFalse();
    assertThat(exit.get()).as(err.all.toString()).isZero();
    assertThat(err.all.toString()).contains("reloaded: +shout");
  }

  @Test
  void shouldSplitLinesIntoWordsWithQuotes() {
    assertThat(DevCommand.words("  add a=1  b=\"two words\" 'c=x y' d=\"q\\\"uote\"  "))
        .containsExactly("add", "a=1", "b=two words", "c=x y", "d=q\"uote");
    assertThat(DevCommand.words("   ")).isEmpty();
  }

  private static void send(PipedOutputStream stdin, String line) throws IOException {
    stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }
}
