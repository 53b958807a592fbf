package dev.convcl.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.opencl.OpenClBackend;
import dev.convcl.opencl.OpenClContext;
import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.opencl.OpenClDiscovery;
import dev.convcl.spi.Internals;

/**
 * Decides whether OpenCL tests run. They skip only where no OpenCL device exists; with
 * {@code CONVCL_REQUIRE_OPENCL=1} (set by CI, which installs POCL) a missing device fails them.
 */
public final class OpenClTestDevice {
    private static final OpenClDiscovery FOUND = OpenClDiscovery.discover();

    private OpenClTestDevice() {
    }

    /** The device the tests use (the one {@code auto} picks), or skips / fails as above. */
    public static OpenClDeviceInfo require() {
        if (!FOUND.available()) {
            if ("1".equals(System.getenv("CONVCL_REQUIRE_OPENCL"))) {
                fail("CONVCL_REQUIRE_OPENCL=1 but no OpenCL device: " + FOUND.unavailable());
            }
            assumeTrue(false, "no OpenCL device: " + FOUND.unavailable());
        }
        return FOUND.best().orElseThrow();
    }

    /** An engine on {@link #require()}'s device, or skips / fails as above. */
    public static Engine engine() {
        return Engine.create(new DeviceChoice(DeviceChoice.Kind.OPENCL, require().index()));
    }

    /** The OpenCL backend of {@code engine} (which must run on OpenCL). */
    public static OpenClBackend backend(Engine engine) {
        return (OpenClBackend) Internals.primary(engine);
    }

    /** The OpenCL context of {@code engine}'s device (which must run on OpenCL). */
    public static OpenClContext context(Engine engine) {
        return backend(engine).context();
    }
}
