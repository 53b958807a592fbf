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
        Npy.write(dir.resolve("x.npy"), Tensor.zeros(1, 2, 8, 8));
        Npy.write(dir.resolve("r.npy"), Tensor.of(new float[] {0, 0, 0, 7, 7}, 1, 5));
        String[] roi = {"run", "--op", "roi_align", "--device", "cpu", "--input", dir.resolve("x.npy").toString(),
            "--rois", dir.resolve("r.npy").toString(), "--output-size", "2", "--out", dir.resolve("y.npy").toString()};
        Cli.assertUsageLine(Cli.run(with(roi, "--aligned=")),
                "convcl run: --aligned '' must be true or false (or the flag alone) (see 'convcl run --help')");
        Cli.assertUsageLine(Cli.run(with(roi, "--debug=")),
                "convcl run: --debug '' must be true or false (or the flag alone) (see 'convcl run --help')");
        Cli.assertUsageLine(Cli.run("--debug=", "devices"),
                "convcl: --debug '' must be true or false (or the flag alone) (see 'convcl --help')");
        Cli.assertUsageLine(Cli.run("bench", "--quick=", "--device", "cpu"),
                "convcl bench: --quick '' must be true or false (or the flag alone) (see 'convcl bench --help')");
        assertEquals(java.util.List.of("r.npy", "x.npy"), Cli.names(dir), "nothing written");
        for (String given : new String[] {"--aligned", "--aligned=true", "--aligned=false"}) {
            Cli.Result r = Cli.run(with(roi, given));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains(given.endsWith("false") ? "aligned=0" : "aligned=1"), r.toString());
        }
    }

    private static String[] with(String[] args, String more) {
        String[] a = java.util.Arrays.copyOf(args, args.length + 1);
        a[args.length] = more;
        return a;
    }
}
