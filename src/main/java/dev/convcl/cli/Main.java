package dev.convcl.cli;

import dev.convcl.ConvclException;
import dev.convcl.DeviceUnavailableException;
import dev.convcl.DeviceChoice;
import dev.convcl.text.DeviceWording;
import dev.convcl.text.ValueException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code convcl} command-line tool. Exit codes: 0 success; 1 a check failed (a benchmark
 * result or a verification that did not match the reference) or an internal error; 2 the
 * command could not run as asked (a wrong flag, an unreadable or malformed file, shapes that do
 * not fit, a device that does not exist). Errors are one line on stderr; {@code --debug} adds
 * the stack trace and DEBUG logging.
 */
@Command(name = "convcl", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Dilated, grouped, depthwise and deformable 2-D convolution on OpenCL devices, with a CPU path.",
        footer = {"", "Exit codes: 0 ok, 1 a check failed, 2 bad usage or input, 3 out of memory."})
public final class Main implements Runnable {
    /** Exit code of a failed check (benchmark FAIL, verification mismatch). */
    public static final int EXIT_FAILED_CHECK = 1;
    /** Exit code of a command that could not run as asked. */
    public static final int EXIT_USAGE = 2;
    /** Exit code of a command that ran out of memory (the message says which and what to do). */
    public static final int EXIT_OUT_OF_MEMORY = 3;

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
        return execute(commandLine(), args, out, err);
    }

    /**
     * Runs {@code args} on the command tree {@code cl} (tests add commands of their own). An
     * {@link Error} (out of memory, a stack overflow, a missing native library) becomes one line
     * on {@code err} like any other failure.
     */
    static int execute(CommandLine cl, String[] args, PrintWriter out, PrintWriter err) {
        boolean debug = Arrays.asList(args).contains("--debug");
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler(parameterErrors(debug));
        cl.setExecutionExceptionHandler(executionErrors(debug));
        Runnable restore = debug ? Logging.debug() : () -> { };
        try {
            return cl.execute(args);
        } catch (Error e) {
            // picocli hands Exceptions to executionErrors but lets Errors through.
            return reportError(e, commandName(cl, args), debug, err);
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
        // convcl help [COMMAND]: picocli's own, as git and docker have it (without it, 'help run'
        // parsed 'run' and reported run's missing options)
        CommandLine help = new CommandLine(new CommandLine.HelpCommand());
        help.getCommandSpec().usageMessage()
                .header(new String[0])
                .description("Shows a command's help: convcl help COMMAND prints what convcl COMMAND --help does.");
        // --debug, which Main reads before parsing, is every command's option, this one's too
        help.getCommandSpec().addOption(CommandLine.Model.OptionSpec.builder("--debug")
                .description("Show stack traces and DEBUG logs.").build());
        cl.addSubcommand("help", help);
        EmptyBooleans.refuseOn(cl); // --aligned= is refused, not read as false
        cl.registerConverter(DeviceChoice.class, s -> {
            try {
                return DeviceChoice.parse(s);
            } catch (ValueException e) { // the library's rule, for badValue to name --device before it
                throw e.aboutPart() ? BadValue.part(s, e.rule()) : BadValue.rule(s, e.rule());
            }
        });
        // 99999999999 is out of an int's range, not "not an int" as picocli's own converter says
        cl.registerConverter(Integer.class, new IntArg.Converter());
        cl.registerConverter(int.class, new IntArg.Converter());
        cl.registerConverter(Long.class, new IntArg.LongConverter());
        cl.registerConverter(long.class, new IntArg.LongConverter());
        // 1e400 is out of a double's range, not Infinity, and 2f is no number (RealArg)
        cl.registerConverter(Double.class, new RealArg.DoubleConverter());
        cl.registerConverter(double.class, new RealArg.DoubleConverter());
        cl.registerConverter(Float.class, new RealArg.FloatConverter());
        cl.registerConverter(float.class, new RealArg.FloatConverter());
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
            // A value refused by its option's rule is named with the rule, as the checks made
            // after parsing name theirs (--padding -1 must not be negative), with no pointer to
            // the help: the line says it all. Other usage errors (an unknown option or command, a
            // missing one) point to it.
            String value = badValue(e, args);
            err.println(cmd.getCommandSpec().qualifiedName() + ": " + (value != null ? value : describe(e)
                    + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')"));
            if (debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return EXIT_USAGE;
        };
    }

    /**
     * A parse error in words: picocli's message, except for a word where a command or option
     * should be, which picocli calls an "unmatched argument", and a value an option's type cannot
     * take ({@link #badValue}).
     */
    private static String describe(ParameterException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("Unknown subcommand '") && e.getValue() != null
                && !e.getCommandLine().getSubcommands().isEmpty()) {
            return unknownCommand(e.getValue(), e.getCommandLine()); // picocli's help command, 'convcl help bnech'
        }
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            CommandLine cmd = e.getCommandLine();
            if (!first.startsWith("-")) {
                if (!cmd.getSubcommands().isEmpty()) {
                    return unknownCommand(first, cmd);
                }
                return "unexpected argument '" + first + "': " + cmd.getCommandSpec().qualifiedName()
                        + " takes options only";
            }
        }
        return e.getMessage();
    }

    /** "unknown command 'bnech'; commands: devices, ... (did you mean 'bench'?)" for {@code cmd}'s subcommands. */
    private static String unknownCommand(String name, CommandLine cmd) {
        String close = closest(name, cmd.getSubcommands().keySet());
        return "unknown command '" + name + "'; commands: " + String.join(", ", cmd.getSubcommands().keySet())
                + (close == null ? "" : " (did you mean '" + close + "'?)");
    }

    /**
     * The line for a value an option refuses: its converter's refusal ({@link #badValue(ParameterException)})
     * or a word given after a flag as its value ({@link #spacedFlagValue}); null for any other
     * parse error.
     */
    static String badValue(ParameterException e, String[] args) {
        String value = badValue(e);
        return value != null ? value : spacedFlagValue(e, args);
    }

    /**
     * A word typed after a flag (a boolean option) as if it were the flag's value,
     * {@code --aligned maybe} or {@code --aligned false}: a flag's value follows '='
     * ({@code --aligned=false}), so picocli leaves the word to no one and calls it an unmatched
     * argument. No command but the top one takes words of its own, so such a word can only have
     * been meant for the flag: {@code --aligned maybe: a flag stands alone or takes true or false
     * after '=' (--aligned=true), not as the next word}. At the top, where words are commands,
     * only {@code true} or {@code false} is read so ({@code convcl --debug maybe} is an unknown
     * command). Null when {@code e} is no such error.
     */
    static String spacedFlagValue(ParameterException e, String[] args) {
        if (!(e instanceof UnmatchedArgumentException u) || u.getUnmatched().isEmpty() || args == null) {
            return null;
        }
        String word = u.getUnmatched().get(0);
        CommandLine.Model.CommandSpec command = e.getCommandLine().getCommandSpec();
        boolean trueOrFalse = word.strip().equalsIgnoreCase("true") || word.strip().equalsIgnoreCase("false");
        if (word.startsWith("-") || !command.positionalParameters().isEmpty()
                || (!command.subcommands().isEmpty() && !trueOrFalse)) {
            return null;
        }
        for (int i = 1; i < args.length; i++) {
            if (!args[i].equals(word) || !args[i - 1].startsWith("-") || args[i - 1].contains("=")) {
                continue;
            }
            CommandLine.Model.OptionSpec flag = command.findOption(args[i - 1]);
            if (flag != null && (flag.type() == boolean.class || flag.type() == Boolean.class)) {
                return flag.longestName() + " " + Typed.shown(word) + ": " + FLAG_VALUE_RULE + " ("
                        + flag.longestName() + "=" + (trueOrFalse ? word.strip().toLowerCase(Locale.ROOT) : "true")
                        + "), not as the next word";
            }
        }
        return null;
    }

    /** How a flag (a boolean option) is given, for {@link #spacedFlagValue}. */
    static final String FLAG_VALUE_RULE = "a flag stands alone or takes true or false after '='";

    /**
     * A value its option's converter refused, in the words of every other bad value: the option,
     * the value as typed ({@link Typed#shown}, blanks around it dropped) and the rule,
     * {@code --iters ten is not an integer}, {@code --op conv3d is not one of conv2d, ...}, rather
     * than picocli's {@code Invalid value for option '--iters': 'ten' is not an int}. The rule is
     * the one the converter's {@link BadValue} carries; a boolean option's is
     * {@code must be true or false (or the flag alone)}; any other converter's message follows a
     * colon. Null when {@code e} is no such refusal.
     */
    static String badValue(ParameterException e) {
        if (!(e.getCause() instanceof CommandLine.TypeConversionException conversion)
                || !(e.getArgSpec() instanceof CommandLine.Model.OptionSpec option) || e.getValue() == null) {
            return null;
        }
        String named = option.longestName() + " " + Typed.shown(e.getValue().strip());
        if (option.type() == boolean.class || option.type() == Boolean.class) {
            return named + " must be true or false (or the flag alone)";
        }
        if (conversion instanceof BadValue bad) {
            return named + bad.after();
        }
        return named + ": " + (conversion.getMessage() == null ? "" : conversion.getMessage());
    }

    private static IExecutionExceptionHandler executionErrors(boolean debug) {
        return (Exception e, CommandLine cmd, ParseResult parsed) -> {
            PrintWriter err = cmd.getErr();
            String who = cmd.getCommandSpec().qualifiedName();
            OutOfMemoryError oom = outOfMemoryCause(e);
            if (oom != null) { // e.g. in a worker thread, handed on as the cause of an exception
                return report(err, who + ": " + outOfMemory(oom, Runtime.getRuntime().maxMemory()), e, debug,
                        EXIT_OUT_OF_MEMORY);
            }
            if (e instanceof DeviceUnavailableException d && cmd.getCommand() instanceof CliCommand c) {
                // the device as typed (opencl:01, not opencl:1) and, when the environment asked for
                // it, which setting did
                String asked = c.deviceTyped(d.choice());
                if (asked != null || c.deviceSource() != null) {
                    return report(err, who + ": " + DeviceWording.unavailable(asked != null ? asked : d.choice().toString(),
                            d.reason(), c.deviceSource(), "--device"), e, debug, EXIT_USAGE);
                }
            }
            if (e instanceof IllegalArgumentException || e instanceof ConvclException) {
                return report(err, who + ": " + e.getMessage(), e, debug, EXIT_USAGE);
            } else if (e instanceof IOException io) {
                return report(err, who + ": " + describe(io), e, debug, EXIT_USAGE);
            } else if (e instanceof UncheckedIOException io) {
                return report(err, who + ": " + describe(io.getCause()), e, debug, EXIT_USAGE);
            }
            return report(err, internalError(who, e, debug), e, debug, EXIT_FAILED_CHECK);
        };
    }

    /** The name in {@code names} at most two edits (insert, delete, replace) from {@code typed}, or null. */
    static String closest(String typed, Iterable<String> names) {
        String best = null;
        int bestDistance = 3;
        for (String name : names) {
            int d = editDistance(typed, name);
            if (d < bestDistance) {
                best = name;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int replace = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(replace, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The first {@link OutOfMemoryError} among {@code t}'s causes, or null. */
    private static OutOfMemoryError outOfMemoryCause(Throwable t) {
        for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) {
            if (c instanceof OutOfMemoryError oom) {
                return oom;
            }
            t = c;
        }
        return null;
    }

    /** The qualified name of the command {@code args} names ("convcl run"), or "convcl". */
    private static String commandName(CommandLine cl, String[] args) {
        for (String a : args) {
            if (cl.getSubcommands().containsKey(a)) {
                return cl.getSubcommands().get(a).getCommandSpec().qualifiedName();
            }
        }
        return cl.getCommandSpec().qualifiedName();
    }

    /** Prints an {@link Error} as one line (and the stack trace with --debug) and returns the exit code. */
    static int reportError(Error e, String who, boolean debug, PrintWriter err) {
        if (e instanceof OutOfMemoryError oom) {
            return report(err, who + ": " + outOfMemory(oom, Runtime.getRuntime().maxMemory()), e, debug,
                    EXIT_OUT_OF_MEMORY);
        }
        return report(err, internalError(who, e, debug), e, debug, EXIT_FAILED_CHECK);
    }

    /** Prints {@code line}, then {@code e}'s stack trace with --debug, and returns {@code code}. */
    private static int report(PrintWriter err, String line, Throwable e, boolean debug, int code) {
        err.println(line);
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /** The line for an unexpected exception or error: what it was, and how to see where. */
    private static String internalError(String who, Throwable e, boolean debug) {
        return who + ": internal error: " + e + (debug ? "" : " (run with --debug for the stack trace)");
    }

    /** What ran out and what to do, for an {@link OutOfMemoryError}; {@code maxHeap} in bytes. */
    static String outOfMemory(OutOfMemoryError e, long maxHeap) {
        String what = e.getMessage() == null ? "" : e.getMessage();
        if (what.contains("Direct buffer memory")) {
            return "out of memory: direct buffer memory ran out (" + what + "); raise its limit, e.g. JAVA_OPTS="
                    + "-XX:MaxDirectMemorySize=8g for scripts/convcl, or run a smaller problem";
        }
        if (what.contains("native thread")) {
            return "out of memory: the system refused another thread (" + what + "); lower the number of "
                    + "processes or threads running, or raise the limit (ulimit -u)";
        }
        if (what.contains("Metaspace") || what.contains("Compressed class space")) {
            return "out of memory: the JVM's class space ran out (" + what + "); raise it, e.g. JAVA_OPTS="
                    + "-XX:MaxMetaspaceSize=512m for scripts/convcl";
        }
        long suggestGiB = Math.max(2, 1L << (64 - Long.numberOfLeadingZeros(Math.max(1, 2 * maxHeap >> 30) - 1)));
        return String.format(Locale.ROOT, "out of memory: the Java heap (at most %s) is too small for this "
                + "command%s; give the JVM more, e.g. JAVA_OPTS=-Xmx%dg for scripts/convcl (java -Xmx%dg -jar ...), "
                + "or run a smaller problem", heapSize(maxHeap),
                what.isEmpty() || what.equals("Java heap space") ? "" : " (" + what + ")", suggestGiB, suggestGiB);
    }

    /**
     * {@code bytes} of heap in words: GiB to one decimal from 1 GiB up, whole MiB below (a
     * {@code -Xmx40m} heap is "40 MiB", not "0.0 GiB").
     */
    static String heapSize(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        return Math.max(1, Math.round(bytes / (double) (1L << 20))) + " MiB";
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
