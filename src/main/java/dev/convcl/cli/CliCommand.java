package dev.convcl.cli;

import dev.convcl.DeviceChoice;
import dev.convcl.opencl.AutoTune;
import dev.convcl.setting.Setting;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every subcommand shares: {@code --debug} (acted on by {@link Main}, which reads it before
 * parsing so that it also covers parse errors), {@code --help}, and the command's output streams
 * (results on {@link #out()}, progress and diagnostics on {@link #err()}).
 */
abstract class CliCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private String deviceSource;
    /** The device of the last {@link #device} call as the user wrote it, and what it was read as. */
    private String deviceTyped;
    private DeviceChoice deviceChosen;

    @Option(names = "--debug", description = "Show stack traces and DEBUG logs.")
    boolean debug;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    /** How the commands' help says where {@code --device}'s default comes from. */
    static final String DEVICE_DEFAULT_HELP = "-D" + DeviceChoice.PROPERTY + " or $" + DeviceChoice.ENVIRONMENT
            + " set the default";

    /**
     * The device a command runs on: {@code given} when {@code --device} is on the command line,
     * else the system property {@value DeviceChoice#PROPERTY}, else the environment variable
     * {@value DeviceChoice#ENVIRONMENT} (a blank one counts as unset), else {@code given} (the
     * option's own default), as {@link dev.convcl.Engine#create()} chooses.
     *
     * @throws IllegalArgumentException naming the value and where it came from when the property or
     *                                  variable holds something {@link DeviceChoice#parse} refuses
     */
    DeviceChoice device(DeviceChoice given) {
        deviceSource = null;
        deviceTyped = null;
        // every command asks for its device first: the engine's other settings are read here too,
        // so that a typo is one line before any progress line, on every device
        AutoTune.checkSettings();
        if (spec.commandLine().getParseResult().hasMatchedOption("--device")) {
            deviceTyped = typed("--device", given);
            deviceChosen = given;
            return given;
        }
        Optional<Setting> setting = deviceSetting();
        return setting.isPresent() ? parseDefault(setting.get()) : given;
    }

    /**
     * The setting that gives the commands' default device, as {@link dev.convcl.Engine#create()}
     * reads it: the system property {@value DeviceChoice#PROPERTY} when it is set and not blank,
     * else the environment variable {@value DeviceChoice#ENVIRONMENT} when it is, else empty.
     *
     * @return the setting, with its value as written and its source, or empty
     */
    static Optional<Setting> deviceSetting() {
        return Setting.of(DeviceChoice.PROPERTY, DeviceChoice.ENVIRONMENT);
    }

    /**
     * The device {@code choice} as the user wrote it ({@code --device}, {@code -Dconvcl.device} or
     * {@code $CONVCL_DEVICE}, blanks around it dropped) when it is the one the last {@link #device}
     * call returned: {@code opencl:01}, which reads as {@code opencl:1}. {@link Main} names it so in
     * the line that reports a device that could not be opened.
     *
     * @param choice the device that could not be opened
     * @return the text, or null when {@code choice} is another device or the option's default
     */
    String deviceTyped(DeviceChoice choice) {
        return deviceTyped != null && choice.equals(deviceChosen) ? deviceTyped : null;
    }

    /**
     * Where the device of the last {@link #device} call came from when it was not the command
     * line: {@code -Dconvcl.device} or {@code $CONVCL_DEVICE}, else null. {@link Main} adds it to
     * the line that reports a device that could not be opened, so a user who never typed
     * {@code --device} learns which setting asked for it.
     *
     * @return the property or variable, or null
     */
    String deviceSource() {
        return deviceSource;
    }

    private DeviceChoice parseDefault(Setting setting) {
        DeviceChoice choice;
        try {
            choice = DeviceChoice.parse(setting.value());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (from " + setting.source() + "; --device overrides it)");
        }
        deviceSource = setting.source();
        deviceTyped = setting.value().strip();
        deviceChosen = choice;
        return choice;
    }

    /**
     * The value of {@code option} as the user typed it (blanks around it dropped), for messages: a
     * number is echoed as typed ({@code 0}, {@code 1e-3}), not as Java prints what it parsed
     * ({@code 0.0}, {@code 0.001}); one with blanks inside is quoted ({@link Typed#shown}). When the
     * option was not given, its default's text; for a command
     * not run from a command line, {@code parsed} as a string.
     *
     * @param option the option's name, e.g. {@code --seconds}
     * @param parsed its value, for when no text is known
     */
    String typed(String option, Object parsed) {
        String text = original(option);
        if (text != null) {
            return Typed.shown(text.strip());
        }
        OptionSpec o = spec.findOption(option);
        return o != null && o.defaultValue() != null ? o.defaultValue() : String.valueOf(parsed);
    }

    /** The last value of {@code option} as typed, blanks and all; null when it was not given. */
    private String original(String option) {
        CommandLine.ParseResult result = spec.commandLine().getParseResult();
        if (result != null && result.hasMatchedOption(option)) {
            List<String> texts = result.matchedOption(option).originalStringValues();
            if (!texts.isEmpty()) {
                return texts.get(texts.size() - 1);
            }
        }
        return null;
    }

    /**
     * The file of a path option, named in messages as the user typed it ({@code o/}, which
     * {@link java.nio.file.Path} holds as {@code o}).
     *
     * @param role what the file is to the command, e.g. {@code JSON report}
     * @param flag the option, e.g. {@code --json}
     * @param path its value
     */
    FileArg file(String role, String flag, java.nio.file.Path path) {
        String text = original(flag);
        return text == null ? new FileArg(role, flag, path) : new FileArg(role, flag, path, text);
    }

    /**
     * Where the command's result lines go: its standard output, or its standard error once one of
     * its output files is the standard output ({@link #outputFiles}), so that stdout then holds
     * that file's bytes alone ({@code --out /dev/stdout | python3 -c 'np.load(sys.stdin.buffer)'}).
     */
    PrintWriter out() {
        return resultsToErr ? err() : spec.commandLine().getOut();
    }

    private boolean resultsToErr;

    /** Declares the command's output files, before it prints anything: see {@link #out()}. */
    void outputFiles(java.util.Collection<java.nio.file.Path> files) {
        for (java.nio.file.Path f : files) {
            if (AtomicFiles.isStandardOutput(f)) {
                resultsToErr = true;
            }
        }
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
