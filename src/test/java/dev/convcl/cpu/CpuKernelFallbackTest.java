package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.SystemProperties;
import dev.convcl.testing.Tensors;
import org.junit.jupiter.api.Test;

/**
 * The kernel choice a library user gets. Surefire runs this class twice: with
 * {@code --add-modules jdk.incubator.vector} (system property {@code convcl.test.vectorModule=present})
 * and, in the {@code cpu-without-vector-module} execution, without it ({@code absent}), where the
 * default backend must fall back to the plain-Java kernels and still compute the right results.
 */
class CpuKernelFallbackTest {
    private static final String EXPECTATION = "convcl.test.vectorModule";

    private static boolean moduleLoaded() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    @Test
    void kernelsFollowWhetherTheVectorModuleIsLoaded() {
        String expected = System.getProperty(EXPECTATION);
        if (expected != null) {
            assertEquals("present".equals(expected), moduleLoaded(),
                    "the surefire execution's JVM options and " + EXPECTATION + "=" + expected + " disagree");
        }
        try (CpuBackend cpu = new CpuBackend(2)) {
            if (moduleLoaded()) {
                Kernels vector = Kernels.vectorOrNull();
                // Only a CPU without 256-bit SIMD would decline the Vector API with the module loaded.
                assertEquals(vector != null ? "vector" : "scalar", cpu.kernelName());
                if ("present".equals(expected)) {
                    assertNotNull(vector, "the Vector API kernels must load when the module is present");
                }
            } else {
                assertNull(Kernels.vectorOrNull(), "without the module the Vector API kernels must not load");
                assertEquals("scalar", cpu.kernelName());
            }
        }
    }

    @Test
    void propertyForcesPlainJava() {
        try (CpuBackend cpu = SystemProperties.with(Kernels.VECTOR_PROPERTY, "false", () -> new CpuBackend(1))) {
            assertEquals("scalar", cpu.kernelName());
        }
    }

    /** One spec per algorithm through the default backend, whatever kernels it picked. */
    @Test
    void defaultBackendMatchesTheReference() {
        String[] lines = {
            "op=conv2d n=1 c=5 h=13 w=11 k=9 kh=1 kw=1 stride=2 bias=1",
            "op=conv2d n=1 c=24 h=13 w=13 k=20 kh=3 kw=3 pad=4 dil=4 relu=1",
            "op=conv2d n=1 c=8 h=13 w=13 k=8 kh=3 kw=3 pad=1 groups=4 bias=1",
            "op=conv2d n=1 c=3 h=17 w=17 k=3 kh=7 kw=7 pad=3 groups=3",
            "op=deform2d n=1 c=4 h=9 w=9 k=5 kh=3 kw=3 pad=1 og=2 mask=1 bias=1",
        };
        try (CpuBackend cpu = new CpuBackend(2)) {
            for (String line : lines) {
                Convolution spec = Problems.parse(line);
                Args args = Tensors.args(spec, 3, true, 2);
                float[] expected = CrossCheck.reference(spec, args);
                try (Primitive plan = Primitives.compile(cpu, spec)) {
                    int bad = Tensors.firstMismatch(expected, Primitives.output(cpu, plan, spec, args));
                    assertEquals(-1, bad, () -> plan.algorithm() + "/" + cpu.kernelName() + " differs at element "
                            + bad + " on " + spec);
                }
            }
        }
    }
}
