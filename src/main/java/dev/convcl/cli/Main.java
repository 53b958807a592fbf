package dev.convcl.cli;

import dev.convcl.ConvclException;
import dev.convcl.DeviceChoice;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The {@code convcl} command-line tool. Exit codes: 0 success; 1 a check failed (a benchmark
 * result or a verification that did not match the reference) or an internal error; 2 the
 * command could not run as asked (a wrong flag, an unreadable or malformed file, shapes that do
 * not fit, a device that does not exist). Errors are one line on stderr; {@code --debug} adds
 * the stack trace and DEBUG logging.
 */
@Command(name = "convcl", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Dilated, grouped, depthwise and deformable 2-D convolution on OpenCL devices, with a CPU path.",
        footer = {"", "Exit codes: 0 ok, 1 a check failed, 2 bad usage or input."})
public final class Main implements Runnable {
    /** Exit code of a failed check (benchmark FAIL, verification mismatch). */
    public static final int EXIT_FAILED_CHECK = 1;
    /** Exit code of a command that could not run as asked. */
    public static final int EXIT_USAGE = 2;

    /** The subcommands, registered here and nowhere else. */
    static final List<Supplier<Object>> SUBCOMMANDS = List.of(
            DevicesCommand::new,
            RunCommand::new,
            BenchCommand::new,
            PeakCommand::new,
            VerifyCommand::new,
            TuneCommand::new);

    /** The Logback configuration of the tool; not named logback.xml, so library users never get it. */
    static final String LOGBACK_CONFIG = "logback-convcl-cli.xml";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            // Must happen before the first logger is created.
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = execute(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line with the given streams and returns the exit code; never exits the JVM. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        boolean debug = Arrays.asList(args).contains("--debug");
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler(parameterErrors(debug));
        cl.setExecutionExceptionHandler(executionErrors(debug));
        if (!debug) {
            return cl.execute(args);
        }
        Runnable restore = Logging.debug();
        try {
            return cl.execute(args);
        } finally {
            restore.run();
        }
    }

    /** The command tree, with converters for the option types the commands share. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Supplier<Object> sub : SUBCOMMANDS) {
            cl.addSubcommand(sub.get());
        }
        cl.registerConverter(DeviceChoice.class, s -> {
            try {
                return DeviceChoice.parse(s);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        });
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    @CommandLine.Option(names = "--debug", description = "Show stack traces and DEBUG logs.")
    boolean debug;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a command is needed: "
                + String.join(", ", spec.commandLine().getSubcommands().keySet()));
    }

    private static IParameterExceptionHandler parameterErrors(boolean debug) {
        return (ParameterException e, String[] args) -> {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage()
                    + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            if (debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return EXIT_USAGE;
        };
    }

    private static IExecutionExceptionHandler executionErrors(boolean debug) {
        return (Exception e, CommandLine cmd, ParseResult parsed) -> {
            PrintWriter err = cmd.getErr();
            String who = cmd.getCommandSpec().qualifiedName();
            int code;
            if (e instanceof IllegalArgumentException || e instanceof ConvclException) {
                err.println(who + ": " + e.getMessage());
                code = EXIT_USAGE;
            } else if (e instanceof IOException io) {
                err.println(who + ": " + describe(io));
                code = EXIT_USAGE;
            } else if (e instanceof UncheckedIOException io) {
                err.println(who + ": " + describe(io.getCause()));
                code = EXIT_USAGE;
            } else {
                err.println(who + ": internal error: " + e + (debug ? "" : " (run with --debug for the stack trace)"));
                code = EXIT_FAILED_CHECK;
            }
            if (debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return code;
        };
    }

    /** A file-system error in words: which file and what went wrong. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException f) {
            return f.getFile() + ": no such file or folder";
        }
        if (e instanceof AccessDeniedException f) {
            return f.getFile() + ": permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** The version from the jar's manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"convcl " + (v == null ? "(development build)" : v)};
        }
    }
}
