package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** The build check's sharing key: which -D options choose code and which are constants. */
class KernelBuildCheckTest {
    private static final String BASE = "-cl-mad-enable -DVW=16 -DTM=4 -DTN=64 -DLS=1";

    @Test
    void aDefaultValueIdiomIsAConstantNotACodePath() {
        // CHANNEL_TILES_FIRST is declared "#ifndef X / #define X 0 / #endif" and only picks a
        // get_global_id index: both orders compile the same calls
        assertEquals(KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE),
                KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE + " -DCHANNEL_TILES_FIRST=1"));
    }

    @Test
    void aDefaultedNameThatAConditionalTestsStillChoosesCode() {
        // POINTWISE has the same default idiom but "#if POINTWISE" picks the code
        String with = KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE + " -DPOINTWISE=1");
        assertNotEquals(KernelBuildCheck.codePathKey("conv2d_gemm.cl", BASE + " -DPOINTWISE=0"), with);
        assertEquals(true, with.contains("-DPOINTWISE=1"), with);
    }
}
