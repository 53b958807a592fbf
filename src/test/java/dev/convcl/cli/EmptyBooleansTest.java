package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A boolean option with an empty value ({@code --aligned=}) is refused as a bad value, in one
 * line, exit 2, before any work: picocli read it as false, so {@code run --op roi_align ...
 * --aligned=} ran unaligned. The flag alone and {@code =true} / {@code =false} still work.
 */
class EmptyBooleansTest {
    @TempDir
    Path dir;

    @Test
    void anEmptyBooleanValueIsRefused() throws IOException {
        String[] roi = roiRun();
        Cli.assertUsageLine(Cli.run(with(roi, "--aligned=")),
                "convcl run: --aligned '' must be true or false (or the flag alone)");
        Cli.assertUsageLine(Cli.run(with(roi, "--debug=")),
                "convcl run: --debug '' must be true or false (or the flag alone)");
        Cli.assertUsageLine(Cli.run("--debug=", "devices"),
                "convcl: --debug '' must be true or false (or the flag alone)");
        Cli.assertUsageLine(Cli.run("bench", "--quick=", "--device", "cpu"),
                "convcl bench: --quick '' must be true or false (or the flag alone)");
        assertEquals(java.util.List.of("r.npy", "x.npy"), Cli.names(dir), "nothing written");
        for (String given : new String[] {"--aligned", "--aligned=true", "--aligned=false"}) {
            Cli.Result r = Cli.run(with(roi, given));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains(given.endsWith("false") ? "aligned=0" : "aligned=1"), r.toString());
        }
    }

    /**
     * A word after a flag, {@code --aligned maybe} or {@code --aligned false}, is named with the
     * flag and the way a flag's value is given, not as a stray argument (picocli's "unmatched
     * argument"): no command but the top one takes words, so the word was meant for the flag. At the
     * top, where words are commands, only true or false is read so. Nothing runs.
     */
    @Test
    void aWordAfterAFlagIsNamedWithTheFlag() throws IOException {
        String[] roi = roiRun();
        Cli.assertUsageLine(Cli.run(with(with(roi, "--aligned"), "maybe")), "convcl run: --aligned maybe: a flag "
                + "stands alone or takes true or false after '=' (--aligned=true), not as the next word");
        Cli.assertUsageLine(Cli.run(with(with(roi, "--aligned"), "False")), "convcl run: --aligned False: a flag "
                + "stands alone or takes true or false after '=' (--aligned=false), not as the next word");
        Cli.assertUsageLine(Cli.run("bench", "--quick", "yes", "--device", "cpu"), "convcl bench: --quick yes: a flag "
                + "stands alone or takes true or false after '=' (--quick=true), not as the next word");
        // --debug given, so the line is followed by the stack trace
        for (String[] args : new String[][] {{"verify", "--debug", "true"}, {"--debug", "true", "devices"}}) {
            Cli.Result r = Cli.run(args);
            assertEquals(Main.EXIT_USAGE, r.code(), r.toString());
            assertEquals((args[0].equals("verify") ? "convcl verify" : "convcl") + ": --debug true: a flag stands alone "
                    + "or takes true or false after '=' (--debug=true), not as the next word", r.err().lines().findFirst()
                    .orElse(""), r.toString());
        }
        // at the top a word is a command: one no flag takes is an unknown one
        Cli.Result r = Cli.run("--debug", "maybe");
        assertEquals(Main.EXIT_USAGE, r.code(), r.toString());
        assertTrue(r.err().startsWith("convcl: unknown command 'maybe'"), r.toString());
        // a word after no flag is still a stray argument
        Cli.assertUsageLine(Cli.run("devices", "maybe"),
                "convcl devices: unexpected argument 'maybe': convcl devices takes options only (see 'convcl devices --help')");
        assertEquals(java.util.List.of("r.npy", "x.npy"), Cli.names(dir), "nothing written");
    }

    /** Writes x.npy and r.npy into {@link #dir} and returns a roi_align run on them, writing y.npy. */
    private String[] roiRun() throws IOException {
        Npy.write(dir.resolve("x.npy"), Tensor.zeros(1, 2, 8, 8));
        Npy.write(dir.resolve("r.npy"), Tensor.of(new float[] {0, 0, 0, 7, 7}, 1, 5));
        return new String[] {"run", "--op", "roi_align", "--device", "cpu", "--input", dir.resolve("x.npy").toString(),
            "--rois", dir.resolve("r.npy").toString(), "--output-size", "2", "--out", dir.resolve("y.npy").toString()};
    }

    private static String[] with(String[] args, String more) {
        String[] a = java.util.Arrays.copyOf(args, args.length + 1);
        a[args.length] = more;
        return a;
    }
}
