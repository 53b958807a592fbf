package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.CacheDir;
import dev.convcl.opencl.OpenClDeviceInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peak kernel's shapes follow what the device reports (no device needed), and the peak cache
 * keeps stable measurements only, under the one cache root.
 */
class PeakConfigTest {
    @TempDir
    Path dir;

    @AfterEach
    void restore() {
        System.clearProperty(CacheDir.PROPERTY);
    }

    static OpenClDeviceInfo device(String type, int units, int nativeFloats, int preferredFloats) {
        return new OpenClDeviceInfo(0, "Test Platform", "test-" + type, "Test Vendor", type, "1.0", "OpenCL 3.0",
                "OpenCL C 1.2", units, 3000, 1L << 32, 1 << 16, 1L << 30, 4096, false, true, nativeFloats,
                preferredFloats, null, null);
    }

    private static List<String> shapes(OpenClDeviceInfo d) {
        return Peak.fmaConfigs(d).stream().map(Peak.FmaConfig::shortName).toList();
    }

    @Test
    void avx2GetsFloat8AccumulatorsThatFitSixteenRegisters() {
        // pthread-haswell: 8 floats a register, 16 registers. float16 x 16 (the old shape) would need 32.
        OpenClDeviceInfo haswell = device("CPU", 2, 8, 8);
        assertEquals(List.of("float8 x 8", "float8 x 10", "float8 x 12"), shapes(haswell));
        for (Peak.FmaConfig c : Peak.fmaConfigs(haswell)) {
            assertEquals(1, c.local(), "one work-item a group: POCL would widen explicit vectors across work-items");
            assertEquals(16, c.global(), "8 work-items a compute unit");
            assertTrue(c.acc() * c.vec() / 8 + 2 <= 16, c + " fits 16 registers with the two operands");
        }
    }

    @Test
    void avx512GetsFloat16AccumulatorsThatFitThirtyTwoRegisters() {
        assertEquals(List.of("float16 x 12", "float16 x 16", "float16 x 24"), shapes(device("CPU", 2, 16, 16)));
    }

    @Test
    void aPreferredWidthOtherThanTheNativeOneIsTriedToo() {
        // float16 on an 8-float machine takes two registers an accumulator: at most (16 - 4) / 2.
        assertEquals(List.of("float8 x 8", "float8 x 10", "float8 x 12", "float16 x 4", "float16 x 6"),
                shapes(device("CPU", 4, 8, 16)));
    }

    @Test
    void unknownOrOddWidthsFallBackToWidthsPeakClBuilds() {
        assertEquals(List.of("float4 x 8", "float4 x 10", "float4 x 12"), shapes(device("CPU", 1, 0, 0)));
        assertEquals(List.of("float8 x 8", "float8 x 10", "float8 x 12"), shapes(device("CPU", 1, 0, 8)));
        assertEquals(List.of("float16 x 12", "float16 x 16", "float16 x 24"), shapes(device("CPU", 1, 32, 32)));
    }

    @Test
    void aGpuGetsManyWorkItemsInLargeGroups() {
        List<Peak.FmaConfig> gpu = Peak.fmaConfigs(device("GPU", 132, 1, 1));
        assertFalse(gpu.isEmpty());
        for (Peak.FmaConfig c : gpu) {
            assertEquals(256, c.local());
            assertTrue(c.global() >= 132 * 1024, c.toString());
        }
    }

    @Test
    void thePeakCacheLivesUnderTheCacheRootAndKeepsOnlyStablePeaks() throws IOException {
        System.setProperty(CacheDir.PROPERTY, dir.toString());
        PeakCache cache = PeakCache.standard();
        String key = PeakCache.javaKey(2);
        assertEquals(dir.resolve("peak"), cache.file(key).getParent());

        Peak.Result r = new Peak.Result("cpu", 190, 30, "FloatVector x 12");
        PeakRepeats.Verdict agree = PeakRepeats.judge(PeakRepeatsTestData.rates(190, 189, 188));
        PeakRepeats.Verdict busy = PeakRepeats.judge(PeakRepeatsTestData.rates(70, 190, 120));
        Peak.Measured unstable = new Peak.Measured(r, busy, agree, "x: 1");
        assertThrows(IllegalArgumentException.class, () -> cache.put(key, unstable));
        assertEquals("not cached: the FMA rate's repeats: the three highest differ by 63%, more than 5%: the machine was "
                + "probably busy; the next 'convcl peak' or 'convcl bench' measures again", PeakCommand.keep(cache, key, unstable));
        assertFalse(Files.exists(cache.file(key)), "nothing cached");

        Peak.Measured stable = new Peak.Measured(r, agree, agree, "x: 1");
        assertEquals("cached in  " + cache.file(key), PeakCommand.keep(cache, key, stable));
        assertEquals(r, cache.get(key).orElseThrow());
    }
}
