package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.spi.Backend;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Tensors;

/** Cross-checks of a primitive against {@link dev.convcl.reference.ReferenceConv}, shared by the tiled-kernel tests. */
final class PlanChecks {
    /** Relative L2 error allowed for random float data (the fp32 tolerance of torchvision's tests). */
    static final double FLOAT_TOLERANCE = 1e-5;

    private PlanChecks() {
    }

    /**
     * Runs {@code plan} on integer data (inputs in [-8, 8], integer offsets up to
     * {@code offsetScale}), which must match the reference bit for bit, then on float data
     * (offsets up to {@code offsetScale} pixels), which must match within {@link #FLOAT_TOLERANCE};
     * every output starts as NaN.
     */
    static void checkIntegersAndFloats(Backend backend, Convolution spec, Primitive plan, long seed,
                                       double offsetScale) {
        checkExact(backend, spec, plan, Tensors.args(spec, seed, true, offsetScale));
        checkClose(backend, spec, plan, Tensors.args(spec, seed + 1, false, offsetScale));
    }

    /** {@code plan}'s output equals the reference's exactly (the output arrives poisoned). */
    static void checkExact(Backend backend, Convolution spec, Primitive plan, Args args) {
        float[] want = CrossCheck.reference(spec, args);
        float[] got = Primitives.output(backend, plan, spec, args);
        int bad = Tensors.firstMismatch(want, got);
        assertEquals(-1, bad, () -> plan.algorithm() + " " + spec + ": output[" + bad + "] = " + got[bad]
                + ", reference " + want[bad]);
    }

    /** {@code plan}'s output is within {@link #FLOAT_TOLERANCE} relative L2 of the reference. */
    static void checkClose(Backend backend, Convolution spec, Primitive plan, Args args) {
        double err = Tensors.relativeL2(CrossCheck.reference(spec, args), Primitives.output(backend, plan, spec, args));
        assertTrue(err <= FLOAT_TOLERANCE, () -> plan.algorithm() + " " + spec + ": relative L2 error " + err);
    }

    /** The test device with its type changed to GPU, to list the tiles a GPU would be offered. */
    static OpenClDeviceInfo asGpu(OpenClDeviceInfo d) {
        return new OpenClDeviceInfo(d.index(), d.platformName(), d.name(), d.vendor(), "GPU", d.driverVersion(),
                d.version(), d.openclCVersion(), d.computeUnits(), d.clockMhz(), d.globalMemBytes(),
                d.localMemBytes(), d.maxAllocBytes(), d.maxWorkGroup(), d.fp16(), d.fp64(), d.nativeVectorWidthFloat(),
                d.preferredVectorWidthFloat(), d.platform(), d.device());
    }
}
