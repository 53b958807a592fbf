package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.PrivateCacheDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code convcl peak} and {@code convcl verify} on the CPU path. */
@ExtendWith(PrivateCacheDir.class)
class PeakAndVerifyTest {
    /** The numbers of "fp32 FMA ... GFLOP/s" and "bandwidth ... GB/s" lines, in order. */
    static List<Double> rates(String out) {
        Matcher m = Pattern.compile("(?m)^  (?:fp32 FMA|bandwidth) +([0-9.]+) ").matcher(out);
        List<Double> r = new java.util.ArrayList<>();
        while (m.find()) {
            r.add(Double.parseDouble(m.group(1)));
        }
        return r;
    }

    /**
     * What a peak's last line says agrees with the cache folder: "cached in FILE" and the file is
     * there, or "not cached: why" (the repeats disagreed, the machine was busy) and no file is.
     */
    static void assertCachedAsSaid(Cli.Result r, Path peakDir, int measured) throws IOException {
        List<String> kept = r.out().lines().filter(l -> l.startsWith("  cached in  ") || l.startsWith("  not cached: ")).toList();
        assertEquals(measured, kept.size(), r.toString());
        List<String> files = Files.isDirectory(peakDir) ? Cli.names(peakDir) : List.of();
        long cached = kept.stream().filter(l -> l.startsWith("  cached in  ")).count();
        assertEquals(cached, files.size(), "one file a cached peak: " + files + "\n" + r);
        for (String f : files) {
            assertTrue(r.out().contains("  cached in  " + peakDir.resolve(f)), f + " named: " + r);
        }
    }

    @Test
    void peakOnTheCpuPathMeasuresAndCachesWhenStable() throws IOException {
        Cli.Result r = Cli.run("peak", "--device", "cpu", "--fma-limit", "190");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("cpu (pure Java"), r.toString());
        List<Double> rates = rates(r.out());
        assertEquals(2, rates.size(), r.toString());
        assertTrue(rates.get(0) > 0.1 && rates.get(1) > 0.1, "positive FMA rate and bandwidth: " + r);
        assertTrue(r.out().contains("\n    tried        Math.fma"), "the loops tried, with their rates: " + r);
        assertTrue(r.out().contains("\n    repeats      "), "the repeats: " + r);
        assertTrue(r.out().contains("% of 190.0 GFLOP/s, the plain C FMA loop's rate given with --fma-limit"), r.toString());
        assertCachedAsSaid(r, PrivateCacheDir.root().resolve("peak"), 1);
    }

    /**
     * peak and bench refuse a bad --fma-limit with one check, in the same words, the value as
     * typed: peak's option was a number, whose parse error read differently ("Invalid value for
     * option '--fma-limit': 'X' is not a number"). Only bench takes 'measure', and says so.
     */
    @Test
    void peakAndBenchRefuseABadFmaLimitAlike() {
        for (String bad : List.of("X", "0", "-0.50", "NaN", "inf", "190f", "1e400", "1e-400", "0.0009", " ")) {
            Cli.Result peak = Cli.run("peak", "--device", "cpu", "--fma-limit", bad);
            Cli.Result bench = Cli.run("bench", "--device", "cpu", "--fma-limit", bad);
            Cli.assertErrorLine(peak, Main.EXIT_USAGE);
            Cli.assertErrorLine(bench, Main.EXIT_USAGE);
            assertTrue(bench.err().strip().endsWith(" or 'measure'"), bench.toString());
            assertEquals(bench.err().strip().replace("convcl bench: ", "convcl peak: ").replace(" or 'measure'", ""),
                    peak.err().strip(), bad);
        }
        Cli.assertUsageLine(Cli.run("peak", "--device", "cpu", "--fma-limit", "X"),
                "convcl peak: --fma-limit X must be a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s)");
        Cli.assertUsageLine(Cli.run("peak", "--device", "cpu", "--fma-limit", " "),
                "convcl peak: --fma-limit '' must be a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s)");
    }

    @Test
    void aBadFmaLimitIsRefusedBeforeMeasuring() {
        // echoed as typed: 0, not 0.0
        for (String bad : List.of("0", "-0.5", "NaN", "Infinity", "1e-300")) {
            Cli.assertUsageLine(Cli.run("peak", "--device", "cpu", "--fma-limit", bad),
                    "convcl peak: --fma-limit " + bad + " must be a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s)");
        }
        // beyond a double's range: out of range, not Infinity
        Cli.assertUsageLine(Cli.run("peak", "--device", "cpu", "--fma-limit", "1e400"), "convcl peak: --fma-limit "
                + "'1e400' is out of range for a number (at most about 1.8e308 in size); it must be a finite number of "
                + "GFLOP/s, at least 0.001 (1 MFLOP/s)");
        Cli.assertUsageError(Cli.run("peak", "--device", "cpu", "--fma-limit", "1e-400"),
                "'1e-400' is too close to 0 for a number (at least about 4.9e-324 in size, or 0)");
        Cli.assertUsageLine(Cli.run("peak", "--device", "cpu", "--fma-limit", "190f"),
                "convcl peak: --fma-limit 190f must be a finite number of GFLOP/s, at least 0.001 (1 MFLOP/s)");
        Cli.assertUsageLine(Cli.run("verify", "--device", "cpu", "--count", "-00"),
                "convcl verify: --count -00 must be at least 1");
    }

    @Test
    void verifyOnTheCpuPathReportsEveryFamily() throws IOException {
        Cli.Result r = Cli.run("verify", "--device", "cpu", "--count", "2", "--seed", "11");
        assertEquals(0, r.code(), r.toString());
        for (SpecFamily f : SpecFamily.values()) {
            assertTrue(r.out().contains("\n" + f.label() + " "), f.label() + ": " + r);
        }
        assertTrue(r.out().contains("suite, shrunk") && r.out().contains("\nhand-picked "), r.toString());
        assertEquals((BenchSuite.load(null).size() + VerifyCommand.handPicked().size() + 2 * SpecFamily.values().length) + " passed, 0 failed", r.lastLine(), r.toString());
    }
}
