package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.SystemProperties;
import org.junit.jupiter.api.Test;

class DevicesOpenClTest {
    @Test
    void listsEveryPropertyAndTheDeviceAutoPicks() {
        OpenClDeviceInfo best = OpenClTestDevice.require();
        Cli.Result r = Cli.run("devices");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Platform: " + best.platformName()), r.toString());
        assertTrue(r.out().contains("opencl:" + best.index() + "  " + best.name() + "   <- auto"), r.toString());
        for (String key : new String[] {"type", "compute units", "clock", "global memory", "local memory",
            "max allocation", "OpenCL C", "fp16 / fp64"}) {
            assertTrue(r.out().contains("      " + key + " "), key + ": " + r);
        }
        assertTrue(r.out().contains(best.openclCVersion()), r.toString());
        assertTrue(r.out().contains("compute units   " + best.computeUnits()), r.toString());
        assertTrue(r.out().contains("--device auto picks opencl:" + best.index()), r.toString());
        assertTrue(!r.out().contains("is the default of the other commands"), "no default set: " + r);
    }

    /**
     * A default device set outside the command line is reported with what the other commands do
     * with it: the device it picks, or why they refuse it (it was ignored, exit 0 and no word).
     */
    @Test
    void saysWhatADefaultSetOutsideTheCommandLineDoes() throws Exception {
        OpenClDeviceInfo best = OpenClTestDevice.require();
        SystemProperties.run(dev.convcl.DeviceChoice.PROPERTY, "auto", () -> {
            String[][] cases = {
                {"gpu", "-Dconvcl.device=gpu is the default of the other commands, which refuse it: device 'gpu' is not one "
                        + "of auto, cpu, opencl, opencl:N (N >= 0); --device overrides it"},
                {"opencl:99", "-Dconvcl.device=opencl:99 is the default of the other commands, which refuse it: there is "
                        + "no OpenCL device 99"},
                {"cpu", "-Dconvcl.device=cpu is the default of the other commands: they run on the CPU path without --device"},
                {"opencl", "-Dconvcl.device=opencl is the default of the other commands: they run on opencl:" + best.index()
                        + " without --device"}};
            for (String[] c : cases) {
                System.setProperty(dev.convcl.DeviceChoice.PROPERTY, c[0]);
                Cli.Result r = Cli.run("devices");
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().strip().lines().reduce((a, b) -> b).orElse("").startsWith(c[1]), c[0] + ": " + r);
            }
            SystemProperties.run("convcl.autotune", "maybe", () -> { // every other command refuses it
                Cli.Result r = Cli.run("devices");
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains("-Dconvcl.autotune 'maybe' must be on, true or 1 (tune on first use), or off, "
                        + "false or 0; the other commands refuse it"), r.toString());
            });
        });
    }
}
