package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convcl.Convolution;
import dev.convcl.Engine;
import dev.convcl.opencl.OpenClDiscovery;
import dev.convcl.testing.PrivateCacheDir;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import dev.convcl.testing.WarnCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool on a machine without OpenCL: every command works on the CPU path, {@code auto} says
 * so with a WARN, and {@code --device opencl} is refused. Runs only in the {@code no-opencl}
 * surefire execution (pom.xml), which hides every OpenCL platform; elsewhere it skips. Its name
 * must not contain "OpenCl" (such tests need a device, ci/check-tests.sh).
 */
@ExtendWith(PrivateCacheDir.class)
class CliNoDeviceTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void onlyWhereNoDeviceIsVisible() {
        assumeTrue(Boolean.getBoolean("convcl.test.noDevice"), "runs in the no-opencl surefire execution only");
        assertFalse(OpenClDiscovery.discover().available(), "the no-opencl execution should hide every device");
    }

    @Test
    void devicesSaysThereIsNoneAndExitsZero() {
        Cli.Result r = Cli.run("devices");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("No OpenCL device: "), r.toString());
        assertTrue(r.out().contains("convcl runs on the CPU path: cpu (pure Java"), r.toString());
    }

    @Test
    void benchTimesTheCpuPathAloneWithAWarning() throws IOException {
        Path shapes = Files.writeString(dir.resolve("shapes.txt"), BenchCommandTest.TINY);
        Path json = dir.resolve("out.json");
        Cli.Result r;
        try (WarnCapture warn = WarnCapture.on(Engine.class)) {
            r = Cli.run("bench", "--shapes", shapes.toString(), "--iters", "2", "--json", json.toString());
            assertEquals(1, warn.count("OpenCL unavailable"), warn.warnings().toString());
        }
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("no OpenCL device in use; timing the CPU path only"), r.toString());
        String j = Files.readString(json);
        assertEquals(2, j.split("\"backend\": \"cpu\"", -1).length - 1, j);
        assertFalse(j.contains("\"backend\": \"opencl\""), j);
        assertTrue(j.contains("\"device_peak_gflops\": null"), j);
    }

    @Test
    void runAndVerifyWorkOnAutoAndRefuseOpencl() throws IOException {
        Convolution spec = Problems.parse("op=deform2d n=1 c=4 h=6 w=5 k=2 kh=3 kw=3 pad=1 og=2 mask=1 bias=1");
        try (WarnCapture warn = WarnCapture.on(Engine.class)) {
            RunCommandTest.assertRunMatchesReference(dir, spec, "auto");
            Cli.Result verify = Cli.run("verify", "--count", "1");
            assertEquals(0, verify.code(), verify.toString());
            assertTrue(verify.out().startsWith("verify on cpu (pure Java"), verify.toString());
            assertTrue(warn.count("OpenCL unavailable") >= 2, warn.warnings().toString());
        }
        var cmd = RunCommandTest.commandFor(dir, spec, Tensors.args(spec, 1, true, 1), "opencl");
        Cli.assertUsageError(Cli.run(cmd.toArray(String[]::new)), "device opencl asked for, but no OpenCL platform");
        Cli.assertUsageError(Cli.run("peak", "--device", "opencl:0"), "device opencl:0 asked for");
    }

    /**
     * tune with auto, typed or from the environment, says tune needs an OpenCL device and auto
     * found none; it said "device opencl asked for", which the user had not done.
     */
    @Test
    void tuneOnAutoSaysItNeedsAnOpenClDevice() {
        Cli.assertUsageError(Cli.run("tune", "--quick", "--device", "auto"),
                "convcl tune: tune needs an OpenCL device, and auto found none: no OpenCL platform");
        System.setProperty("convcl.device", "auto");
        try {
            Cli.assertUsageError(Cli.run("tune", "--quick"),
                    "convcl tune: tune needs an OpenCL device, and auto (from -Dconvcl.device) found none: ");
        } finally {
            System.clearProperty("convcl.device");
        }
    }
}
