package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** The build check's sharing key: which -D options choose code and which are constants. */
class KernelBuildCheckTest {
    private static final String BASE = "-cl-mad-enable -DVW=16 -DTM=4 -DTN=64 -DLS=1";

    @Test
    void aDefaultValueIdiomIsAConstantNotACodePath() {
        // PACK_R is declared "#ifndef X / #define X 64 / #endif" and only bounds a loop: every
        // value compiles the same calls. (CHANNEL_TILES_FIRST was the example until the
        // "#if PANEL_PREFETCH && CHANNEL_TILES_FIRST" guard made it choose code: see below.)
        assertEquals(KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE),
                KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE + " -DPACK_R=32"));
    }

    @Test
    void aDefaultedNameThatAConditionalTestsStillChoosesCode() {
        // POINTWISE has the same default idiom but "#if POINTWISE" picks the code
        String with = KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE + " -DPOINTWISE=1");
        assertNotEquals(KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE + " -DPOINTWISE=0"), with);
        assertEquals(true, with.contains("-DPOINTWISE=1"), with);
    }

    @Test
    void aDefaultedNameInAnErrorGuardChoosesCode() {
        // "#if PANEL_PREFETCH && CHANNEL_TILES_FIRST / #error": the channel order can fail the
        // build, so it must not share a build check with the pixel order
        String channelOrder = KernelBuildCheck.codePathKey("conv2d_gemm.cl",
                BASE + " -DPANEL_PREFETCH=1 -DCHANNEL_TILES_FIRST=1");
        assertNotEquals(KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE + " -DPANEL_PREFETCH=1"),
                channelOrder);
        assertEquals(true, channelOrder.contains("-DCHANNEL_TILES_FIRST=1"), channelOrder);
    }
}
