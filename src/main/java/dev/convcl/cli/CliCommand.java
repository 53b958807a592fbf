package dev.convcl.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
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

    @Option(names = "--debug", description = "Show stack traces and DEBUG logs.")
    boolean debug;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
