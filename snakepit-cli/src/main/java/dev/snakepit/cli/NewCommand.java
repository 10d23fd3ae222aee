package dev.snakepit.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code snakepit new adapter MODULE.Class --dir DIR}: a new adapter with its Python and Java tests. */
@Command(
    name = "new",
    header = "Create something new from a template.",
    subcommands = NewCommand.Adapter.class)
final class NewCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  HelpOption help;

  @Override
  public Integer call() {
    var err = spec.commandLine().getErr();
    err.println("snakepit new: say what to create (snakepit new adapter MODULE.Class --dir DIR)");
    err.flush();
    return CommandLine.ExitCode.USAGE;
  }

  /** {@code snakepit new adapter}. */
  @Command(
      name = "adapter",
      sortOptions = false,
      header = "Create an adapter package with a hello tool, its pytest file and a JUnit test.",
      description = {
        "Writes, under DIR: the package of MODULE with class Class (a BaseAdapter with",
        "one tool, hello(name: str = \"world\")), tests/test_<module>.py (pytest, with",
        "snakepit_bridge.testing) and src/test/java/<Class>Test.java (JUnit 5 with",
        "@SnakepitTest, PYTHONPATH '.' so run it from DIR). Existing files are never",
        "overwritten.",
        "",
        "Exit status: 0 created; 1 a file exists already or cannot be written; 2 usage error.",
        ""
      })
  static final class Adapter implements Callable<Integer> {
    private static final Pattern MODULE_CLASS = Pattern.compile("^([A-Za-z_]\\w*)(\\.[A-Za-z_]\\w*)*\\.([A-Z]\\w*)$");

    @Spec
    CommandSpec spec;

    @Mixin
    HelpOption help;

    @Parameters(index = "0", paramLabel = "MODULE.Class", description = "The adapter to create, e.g. greeter.adapter.GreeterAdapter.")
    String adapter;

    @Option(names = "--dir", paramLabel = "DIR", required = true, description = "Project directory to write into (created if missing).")
    Path dir;

    @Override
    public Integer call() {
      var commandLine = spec.commandLine();
      if (!MODULE_CLASS.matcher(adapter).matches()) {
        throw new CommandLine.ParameterException(commandLine,
            "'" + adapter + "' is not MODULE.Class (for example greeter.adapter.GreeterAdapter, the class capitalized)");
      }
      var module = adapter.substring(0, adapter.lastIndexOf('.'));
      var className = adapter.substring(adapter.lastIndexOf('.') + 1);
      var files = files(module, className);
      for (var file : files.keySet()) {
        if (Files.exists(dir.resolve(file))) {
          return fail("'" + dir.resolve(file) + "' exists already; nothing was written (choose another --dir or module)");
        }
      }
      var written = new ArrayList<Path>();
      try {
        for (var entry : files.entrySet()) {
          var file = dir.resolve(entry.getKey());
          Files.createDirectories(file.getParent());
          Files.writeString(file, entry.getValue(), java.nio.file.StandardOpenOption.CREATE_NEW);
          written.add(file);
        }
      } catch (FileAlreadyExistsException e) {
        return fail("'" + e.getFile() + "' exists already");
      } catch (IOException e) {
        return fail("cannot write under '" + dir + "': " + e.getMessage());
      }
      var out = commandLine.getOut();
      written.forEach(file -> out.println("created " + file));
      out.println();
      out.println("Next, from " + dir + ":");
      out.println("  python -m pytest tests                     # the Python test, in-process");
      out.println("  snakepit call hello name=you --adapter " + adapter + " --pythonpath .");
      out.println("  snakepit dev --adapter " + adapter + " --pythonpath .   # calls from stdin, reloads on change");
      out.flush();
      return 0;
    }

    /** The files to write, by path relative to the project directory (package {@code __init__} files included). */
    Map<String, String> files(String module, String className) {
      var files = new LinkedHashMap<String, String>();
      var parts = List.of(module.split("\\."));
      String adapterFile;
      if (parts.size() == 1) {
        adapterFile = parts.getFirst() + "/__init__.py"; // a one-word module becomes a package
      } else {
        var packageDir = String.join("/", parts.subList(0, parts.size() - 1));
        for (int i = 1; i < parts.size(); i++) {
          var init = String.join("/", parts.subList(0, i)) + "/__init__.py";
          if (!Files.exists(dir.resolve(init))) {
            files.put(init, "");
          }
        }
        adapterFile = packageDir + "/" + parts.getLast() + ".py";
      }
      files.put(adapterFile, adapterSource(className));
      files.put("tests/test_" + parts.getLast() + ".py", pytestSource(module, className));
      files.put("src/test/java/" + className + "Test.java", junitSource(module + "." + className, className));
      return files;
    }

    private int fail(String message) {
      return TextOutput.fail(spec.commandLine(), message);
    }

    static String adapterSource(String className) {
      return """
          \"\"\"%s: the tools of this adapter (run it with 'snakepit dev --adapter ... --pythonpath .').\"\"\"

          from __future__ import annotations

          from snakepit_bridge import BaseAdapter, tool

          __version__ = "0.1.0"


          class %s(BaseAdapter):
              \"\"\"Tools served to Java by Snakepit workers.\"\"\"

              @tool
              def hello(self, name: str = "world") -> str:
                  \"\"\"Greet someone.

                  Args:
                      name: who to greet.
                  \"\"\"
                  return f"Hello, {name}!"
          """.formatted(className, className);
    }

    static String pytestSource(String module, String className) {
      return """
          \"\"\"Tests of %s, in-process: the same validation and serialization as a worker, no sockets.\"\"\"

          import pytest

          from snakepit_bridge import InvalidArgumentsError
          from snakepit_bridge.testing import ToolHarness
          from %s import %s


          @pytest.fixture
          def tools():
              with ToolHarness(%s()) as harness:
                  yield harness


          def test_hello_greets_the_world_by_default(tools):
              assert tools.call("hello") == "Hello, world!"


          def test_hello_greets_by_name(tools):
              assert tools.call("hello", name="Ada") == "Hello, Ada!"


          def test_hello_rejects_a_name_that_is_not_text(tools):
              with pytest.raises(InvalidArgumentsError):
                  tools.call("hello", name=42)
          """.formatted(className, module, className, className);
    }

    static String junitSource(String adapter, String className) {
      return """
          import static org.assertj.core.api.Assertions.assertThat;

          import dev.snakepit.Snakepit;
          import dev.snakepit.junit.SnakepitTest;
          import java.util.Map;
          import org.junit.jupiter.api.Test;

          /** %s in real workers (run from the project directory: PYTHONPATH is '.'). */
          @SnakepitTest(adapter = "%s", pythonPath = ".")
          class %sTest {

            @Test
            void helloGreetsByName(Snakepit pit) {
              assertThat(pit.execute("hello", Map.of("name", "Ada")).asText()).isEqualTo("Hello, Ada!");
            }

            @Test
            void helloGreetsTheWorldByDefault(Snakepit pit) {
              assertThat(pit.execute("hello", Map.of()).asText()).isEqualTo("Hello, world!");
            }
          }
          """.formatted(className, adapter, className);
    }
  }
}
