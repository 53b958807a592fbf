package dev.convcl.cli;

import java.util.Stack;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * A boolean option given an empty value, {@code --aligned=} or {@code --debug=}, is refused as
 * any other value its type cannot take ({@code --aligned '' must be true or false (or the flag
 * alone)}, {@link Main#badValue}'s words): picocli reads it as {@code false} without asking a
 * converter, so a typo or an unset shell variable ({@code --aligned=$ALIGNED}) ran as if the
 * option were off. Checked by a preprocessor on each command, before its options are parsed.
 */
final class EmptyBooleans {
    private EmptyBooleans() {
    }

    /** Installs the check on {@code cl} and every subcommand under it. */
    static void refuseOn(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        CommandLine.IParameterPreprocessor before = spec.preprocessor();
        spec.preprocessor((args, command, argSpec, info) -> {
            check(args, command);
            return before.preprocess(args, command, argSpec, info);
        });
        for (CommandLine sub : cl.getSubcommands().values()) {
            refuseOn(sub);
        }
    }

    /**
     * Looks at {@code command}'s own arguments, next first, up to the end of options ({@code --}) or
     * a subcommand's name: a token {@code NAME=} where NAME is one of its boolean options is refused.
     */
    private static void check(Stack<String> args, CommandSpec command) {
        for (int i = args.size() - 1; i >= 0; i--) {
            String token = args.get(i);
            if (token.equals("--") || command.subcommands().containsKey(token)) {
                return;
            }
            if (token.startsWith("-") && token.indexOf('=') == token.length() - 1) {
                OptionSpec option = command.findOption(token.substring(0, token.length() - 1));
                if (option != null && (option.type() == boolean.class || option.type() == Boolean.class)) {
                    String rule = option.longestName() + " " + Typed.shown("") + " must be true or false (or the flag alone)";
                    // as a converter's refusal of "", so that Main words it as every other bad value
                    throw new ParameterException(command.commandLine(), rule, new TypeConversionException(rule),
                            option, "");
                }
            }
        }
    }
}
