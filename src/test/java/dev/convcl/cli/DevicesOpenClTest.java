package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.testing.OpenClTestDevice;
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
    }
}
