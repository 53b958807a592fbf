package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convcl.testing.ForkedJvm;
import dev.convcl.testing.OpenClTestDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The profile of the real device, and of POCL's AVX2 target on this machine: with
 * {@code POCL_KERNELLIB_NAME=avx2} POCL compiles for pthread-haswell (16 registers of 8 floats)
 * while still reporting the host's vector width, and every family's default must then follow
 * the registers' width (depthwise, bound by its loads, twice that), and compute exactly what the
 * reference does. Each case runs
 * {@link ProfileProbe} in a JVM of its own, since POCL reads its environment once.
 */
class DeviceProfileOpenClTest {
    @TempDir
    Path dir;

    private ForkedJvm.Result probe(Map<String, String> env) {
        ForkedJvm.Result r = ForkedJvm.run(ForkedJvm.javaCommand(ProfileProbe.class, List.of("-Xmx1g")), e -> {
            e.put("CONVCL_CACHE_DIR", dir.resolve("convcl").toString());
            e.put("POCL_SIGFPE_HANDLER", "0");
            e.remove("CONVCL_AUTOTUNE");
            e.putAll(env);
        }, 600);
        assertEquals(0, r.exitCode(), r.toString());
        for (String family : List.of("gemm", "depthwise", "deform-gemm")) {
            assertEquals("true", r.result(family + ".exact"), family + ": " + r);
        }
        return r;
    }

    @Test
    void thisDevicesDefaultsUseItsOwnVectorWidth() {
        OpenClDeviceInfo d = OpenClTestDevice.require();
        ForkedJvm.Result r = probe(Map.of());
        int expected = Math.min(16, Integer.highestOneBit(Math.max(1, d.nativeVectorWidthFloat() > 0
                ? d.nativeVectorWidthFloat() : d.preferredVectorWidthFloat() > 0 ? d.preferredVectorWidthFloat()
                : d.isCpu() ? 4 : 1)));
        if (d.isCpu()) {
            expected = Math.min(expected, DeviceProfile.targetWidth(d.name()).orElse(16));
        }
        assertEquals(String.valueOf(expected), r.result("width"), r.toString());
        if (d.isCpu()) {
            int dw = Math.min(16, 2 * expected);
            assertTrue(r.result("depthwise.algorithm").contains("vw=" + dw + " ")
                    || r.result("depthwise.algorithm").contains("vw=" + dw / 2 + " "), r.toString());
            assertTrue(r.result("gemm.default").contains("vw=" + expected + " ")
                    || r.result("gemm.default").contains("vw=" + expected / 2 + " "), r.toString());
        }
    }

    @Test
    void onPoclsAvx2TargetTheDefaultsFollowItsRegisters() throws IOException {
        OpenClDeviceInfo d = OpenClTestDevice.require();
        assumeTrue(d.platformName().contains("Portable Computing Language") && d.isCpu(),
                "POCL's CPU device is needed to choose the AVX2 target: " + d.describe());
        assumeTrue(Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .anyMatch(l -> l.startsWith("flags") && (" " + l + " ").contains(" avx2 ")), "no AVX2 on this CPU");
        assumeFalse(d.name().contains("haswell"), "this device is POCL's AVX2 one already: the test above checks it");
        ForkedJvm.Result r = probe(Map.of("POCL_KERNELLIB_NAME", "avx2"));
        assertTrue(r.result("device").contains("haswell"), r.toString());
        assertEquals("8", r.result("width"), r.toString());
        assertEquals("16", r.result("registers"), r.toString());
        assertTrue(r.result("gemm.default").startsWith("cm vw=8 "), r.toString());
        // depthwise is bound by loads: two registers a vector
        assertTrue(r.result("depthwise.algorithm").contains("vw=16 "), r.toString());
        // deform2d_cm.cl's channel-vector tile: 2 vectors of 8 channels x 6 pixels, as the dense GEMM's
        assertTrue(r.result("deform-gemm.algorithm").contains("[cm vw=8 mv=2 tn=6 "), r.toString());
    }
}
