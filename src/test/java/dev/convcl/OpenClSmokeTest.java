package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClBackend;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import org.junit.jupiter.api.Test;

class OpenClSmokeTest {
    @Test
    void directKernelsMatchReference() {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            for (String line : new String[] {
                    "op=conv2d n=2 c=6 h=13 w=7 k=4 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 bias=1 relu=1",
                    "op=deform2d n=2 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=1 bias=1"}) {
                Convolution spec = Problems.parse(line);
                Args args = Tensors.args(spec, 42, true, 2);
                try (Primitive plan = Primitives.compile(cl, spec)) {
                    double err = Tensors.relativeL2(CrossCheck.reference(spec, args),
                            Primitives.output(cl, plan, spec, args));
                    assertTrue(err < 1e-6, spec + ": relative L2 " + err);
                }
            }
            assertEquals(0, cl.context().liveObjects());
        }
    }
}
