package dev.snakepit.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code snakepit} command: {@code call}, {@code tools}, {@code demo}, {@code doctor}, {@code chaos}, {@code bench},
 * and the adapter tooling: {@code manifest}, {@code codegen}, {@code docs}, {@code new}, {@code dev}.
 *
 * <p>Exit codes: 0 success, 1 the work failed (a call, a check, a step), 2 usage error. Results go
 * to stdout, errors and logs to stderr, both as UTF-8. Run it in-process (tests, embedding) with
 * {@link #commandLine(Terminal, InputStream, PrintWriter, PrintWriter)}.
 */
@Command(
    name = "snakepit",
    mixinStandardHelpOptions = true,
    versionProvider = SnakepitCli.Version.class,
    description = "Runs pools of Python worker processes and calls their tools over gRPC.",
    subcommands = {CallCommand.class, ToolsCommand.class, DemoCommand.class, DoctorCommand.class, ChaosCommand.class,
        dev.snakepit.bench.BenchCommand.class, ManifestCommand.class, CodegenCommand.class, DocsCommand.class,
        NewCommand.class, DevCommand.class, HelpCommand.class},
    footer = {"", "Start with 'snakepit demo' (a tour) or 'snakepit doctor' (checks the setup)."})
public final class SnakepitCli implements Callable<Integer> {
  /** The system property slf4j-simple reads, once, when the first logger is created. */
  static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

  private final Terminal terminal;
  private final InputStream stdin;

  @Spec
  CommandSpec spec;

  /** A CLI that prints for {@code terminal} and reads {@code @-} arguments from {@code stdin}. */
  public SnakepitCli(Terminal terminal, InputStream stdin) {
    this.terminal = Objects.requireNonNull(terminal, "terminal");
    this.stdin = Objects.requireNonNull(stdin, "stdin");
  }

  /** Entry point: runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    var out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), true);
    var err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8), true);
    int code = commandLine(Terminal.detect(), System.in, out, err).execute(args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * A ready-to-execute command line writing to {@code out} and {@code err}; {@code execute(args)}
   * returns the exit code and never calls {@code System.exit}.
   */
  public static CommandLine commandLine(Terminal terminal, InputStream stdin, PrintWriter out, PrintWriter err) {
    var commandLine = new CommandLine(new SnakepitCli(terminal, stdin));
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExpandAtFiles(false);
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine.setColorScheme(CommandLine.Help.defaultColorScheme(
        terminal.color() ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF));
    commandLine.setParameterExceptionHandler((error, args) -> {
      // A short complaint and where to read more, rather than the whole usage under every typo.
      var failed = error.getCommandLine();
      var stderr = failed.getErr();
      var name = failed.getCommandSpec().qualifiedName(" ");
      stderr.println(failed.getColorScheme().errorText(name + ": " + error.getMessage()));
      CommandLine.UnmatchedArgumentException.printSuggestions(error, stderr);
      stderr.println("Try '" + name + " --help' for more information.");
      stderr.flush();
      return CommandLine.ExitCode.USAGE;
    });
    commandLine.setExecutionExceptionHandler((error, failed, parseResult) -> {
      // Commands report the failures they expect; this is the net for the ones they do not.
      failed.getErr().println("snakepit " + failed.getCommandName() + ": " + error);
      if (isVerbose()) {
        error.printStackTrace(failed.getErr());
      }
      failed.getErr().flush();
      return 1;
    });
    return commandLine;
  }

  /**
   * {@code -v/--verbose}: debug logging on stderr. It works by setting the slf4j-simple level
   * before the first logger exists, which is before any pool starts.
   */
  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "Log what happens (debug level) to stderr.")
  void setVerbose(boolean verbose) {
    if (verbose) {
      System.setProperty(LOG_LEVEL_PROPERTY, "debug");
    }
  }

  static boolean isVerbose() {
    return "debug".equals(System.getProperty(LOG_LEVEL_PROPERTY));
  }

  /** How output should look. */
  Terminal terminal() {
    return terminal;
  }

  /** Where {@code @-} arguments are read from. */
  InputStream stdin() {
    return stdin;
  }

  /** Without a subcommand: the usage on stderr, as a usage error. */
  @Override
  public Integer call() {
    var err = spec.commandLine().getErr();
    err.println("snakepit: missing command (start with 'snakepit demo')");
    spec.commandLine().usage(err);
    err.flush();
    return CommandLine.ExitCode.USAGE;
  }

  /** {@code --version}: the CLI's version and the Java it runs on. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "snakepit " + version(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ") on "
            + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        "wire protocol: Snakepit 0.13 bridge (snakepit_bridge.proto)"
      };
    }

    static String version() {
      try (var in = SnakepitCli.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          var properties = new Properties();
          properties.load(in);
          var version = properties.getProperty("version", "");
          if (!version.isBlank() && !version.startsWith("${")) {
            return version;
          }
        }
      } catch (IOException e) {
        // Fall through to the manifest.
      }
      var fromManifest = SnakepitCli.class.getPackage().getImplementationVersion();
      return fromManifest != null ? fromManifest : "development build";
    }
  }
}
