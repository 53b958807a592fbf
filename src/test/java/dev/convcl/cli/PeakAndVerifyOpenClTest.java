package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.testing.PrivateCacheDir;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code convcl peak} and {@code convcl verify} on the OpenCL device. */
@ExtendWith(PrivateCacheDir.class)
class PeakAndVerifyOpenClTest {
    @Test
    void peakMeasuresTheDeviceAndTheCpuPath() throws IOException {
        Cli.DeviceRun run = Cli.onDevice("peak");
        OpenClDeviceInfo device = run.device();
        Cli.Result r = run.result();
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith(device.describe()), r.toString());
        assertTrue(r.out().contains("\ncpu (pure Java"), r.toString());
        List<Double> rates = PeakAndVerifyTest.rates(r.out());
        assertEquals(4, rates.size(), r.toString());
        for (double rate : rates) {
            assertTrue(rate > 0.1, "every rate positive: " + r);
        }
        // The device's shape follows its vector width, e.g. float8 on AVX2, float16 on AVX-512.
        int width = device.nativeVectorWidthFloat();
        if (device.isCpu() && (width == 8 || width == 16)) {
            assertTrue(r.out().contains("(float" + width + " x "), "the device's native width: " + r);
        }
        PeakAndVerifyTest.assertCachedAsSaid(r, PrivateCacheDir.root().resolve("peak"), 2);
    }

    @Test
    void verifyOnTheDevicePassesAndSaysWhereItRan() throws IOException {
        Cli.DeviceRun run = Cli.onDevice("verify", "--count", "1");
        Cli.Result r = run.result();
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("verify on " + run.device().describe()), r.toString());
        assertTrue(r.out().contains("ran on: opencl"), r.toString());
        assertEquals((BenchSuite.load(null).size() + VerifyCommand.handPicked().size() + SpecFamily.values().length) + " passed, 0 failed", r.lastLine(), r.toString());
    }
}
