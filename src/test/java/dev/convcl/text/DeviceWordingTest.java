package dev.convcl.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The one wording of a device that cannot be opened, with and without the setting that asked for it. */
class DeviceWordingTest {
    @Test
    void namesTheSettingAndWhatOverridesIt() {
        assertEquals("device opencl:7 asked for, but no OpenCL device 7 (there are 1)",
                DeviceWording.unavailable("opencl:7", "no OpenCL device 7 (there are 1)", null, "--device"));
        assertEquals("device opencl:07 asked for, but no OpenCL platform (from $CONVCL_DEVICE)",
                DeviceWording.unavailable("opencl:07", "no OpenCL platform", "$CONVCL_DEVICE", null));
        assertEquals("device opencl asked for, but no OpenCL platform (from -Dconvcl.device; --device overrides it)",
                DeviceWording.unavailable("opencl", "no OpenCL platform", "-Dconvcl.device", "--device"));
    }
}
