package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.SnakepitConfig;
import dev.snakepit.junit.SnakepitLeakCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code snakepit docs} and {@code snakepit new adapter}. */
@ExtendWith(SnakepitLeakCheck.class)
class DocsAndNewCommandTest {

  @Test
  void shouldWriteAMarkdownReferenceOfTheTools(@TempDir Path dir) throws Exception {
    var file = dir.resolve("TOOLS.md");
    var run = Cli.run("docs", "--adapter", TypedClientTest.SAMPLE, "-o", file.toString());

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(Files.readString(file)).startsWith("# SampleAdapter tools\n")
        .contains("## greet\n\nGreet someone.", "| `name` | `str` | yes |  | who to greet. |",
            "| `excited` | `bool` | no | `false` | end with an exclamation mark. |",
            "**Streams** chunks of type `int`.", "### Point", "snakepit call add a=... b=...");
  }

  @Test
  void shouldCreateAnAdapterWhosePythonAndJavaTestsWork(@TempDir Path dir) throws Exception {
    var run = Cli.run("new", "adapter", "greeter.tools.GreeterAdapter", "--dir", dir.toString());

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(dir.resolve("greeter/__init__.py")).exists();
    assertThat(dir.resolve("greeter/tools.py")).content().contains("class GreeterAdapter(BaseAdapter):",
        "def hello(self, name: str = \"world\") -> str:");
    assertThat(dir.resolve("tests/test_tools.py")).exists();
    assertThat(dir.resolve("src/test/java/GreeterAdapterTest.java")).content().contains("@SnakepitTest(adapter = \"greeter.tools.GreeterAdapter\"");

    // The Python test passes, in-process.
    var python = SnakepitConfig.builder().build().python().toString();
    var pytest = new ProcessBuilder(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests").directory(dir.toFile())
        .redirectErrorStream(true);
    pytest.environment().put("PYTHONPATH", dir.toString());
    pytest.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    var process = pytest.start();
    var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("3 passed");

    // The JUnit test compiles against snakepit-junit; the tool answers through real workers.
    Compiler.compile(dir.resolve("src/test/java"), Files.createDirectories(dir.resolve("classes")));
    var call = Cli.run("call", "hello", "name=Ada", "--adapter", "greeter.tools.GreeterAdapter", "--pythonpath", dir.toString());
    assertThat(call.exitCode()).as(call.toString()).isZero();
    assertThat(call.out()).isEqualTo("\"Hello, Ada!\"\n");
  }

  @Test
  void shouldNotOverwriteAnExistingAdapter(@TempDir Path dir) {
    assertThat(Cli.run("new", "adapter", "solo.Solo", "--dir", dir.toString()).exitCode()).isZero();
    assertThat(dir.resolve("solo/__init__.py")).content().contains("class Solo(BaseAdapter):");

    var again = Cli.run("new", "adapter", "solo.Solo", "--dir", dir.toString());

    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("exists already; nothing was written");
  }

  @Test
  void shouldRejectANameThatIsNotModuleDotClass(@TempDir Path dir) {
    var run = Cli.run("new", "adapter", "lowercase", "--dir", dir.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("is not MODULE.Class");
  }
}
