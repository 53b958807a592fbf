package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl peak} and {@code convcl verify} on the CPU path. */
class PeakAndVerifyTest {
    @TempDir
    Path dir;

    @BeforeEach
    void privatePeakCache() {
        System.setProperty(PeakCache.DIR_PROPERTY, dir.toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty(PeakCache.DIR_PROPERTY);
    }

    /** The numbers of "fp32 FMA ... GFLOP/s" and "bandwidth ... GB/s" lines, in order. */
    static List<Double> rates(String out) {
        Matcher m = Pattern.compile("(?m)^  (?:fp32 FMA|bandwidth) +([0-9.]+) ").matcher(out);
        List<Double> r = new java.util.ArrayList<>();
        while (m.find()) {
            r.add(Double.parseDouble(m.group(1)));
        }
        return r;
    }

    @Test
    void peakOnTheCpuPathMeasuresAndCaches() throws IOException {
        Cli.Result r = Cli.run("peak", "--device", "cpu");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("cpu (pure Java"), r.toString());
        List<Double> rates = rates(r.out());
        assertEquals(2, rates.size(), r.toString());
        assertTrue(rates.get(0) > 0.1 && rates.get(1) > 0.1, "positive FMA rate and bandwidth: " + r);
        List<String> cached = Cli.names(dir);
        assertEquals(1, cached.size());
        assertTrue(r.out().contains(cached.get(0)), r.toString());
    }

    @Test
    void verifyOnTheCpuPathReportsEveryFamily() {
        Cli.Result r = Cli.run("verify", "--device", "cpu", "--count", "2", "--seed", "11");
        assertEquals(0, r.code(), r.toString());
        for (SpecFamily f : SpecFamily.values()) {
            assertTrue(r.out().contains("\n" + f.label() + " "), f.label() + ": " + r);
        }
        assertTrue(r.out().contains("suite, shrunk") && r.out().contains("\nhand-picked "), r.toString());
        assertEquals((29 + VerifyCommand.handPicked().size() + 2 * SpecFamily.values().length) + " passed, 0 failed", r.lastLine(), r.toString());
    }
}
