package dev.convcl.opencl;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.Engine;
import dev.convcl.Plan;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.List;

/**
 * Run in a JVM of its own by {@link DeviceProfileOpenClTest} (so that POCL's environment, e.g.
 * {@code POCL_KERNELLIB_NAME=avx2}, applies): prints the device, its {@link DeviceProfile}, and
 * for one problem of each tuned family the default plan's algorithm and whether it reproduced the
 * reference exactly on integers, as {@code RESULT key=value} lines on stderr.
 */
public final class ProfileProbe {
    static final List<Convolution> PROBLEMS = List.of(
            Problems.parse("op=conv2d n=1 c=16 h=14 w=15 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1"),
            Problems.parse("op=conv2d n=1 c=8 h=30 w=40 k=8 kh=7 kw=7 stride=1 pad=3 dil=1 groups=8"),
            Problems.parse("op=deform2d n=1 c=16 h=12 w=13 k=24 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 og=1 mask=1"));

    private ProfileProbe() {
    }

    public static void main(String[] args) {
        OpenClDeviceInfo d = OpenClTestDevice.require();
        DeviceProfile p = DeviceProfile.of(d);
        System.err.println("RESULT device=" + d.name());
        System.err.println("RESULT reported=" + d.nativeVectorWidthFloat() + "/" + d.preferredVectorWidthFloat());
        System.err.println("RESULT width=" + p.vectorWidth());
        System.err.println("RESULT registers=" + p.vectorRegisters());
        try (Engine engine = OpenClTestDevice.engine()) {
            for (Convolution op : PROBLEMS) {
                String family = KernelFamily.of(op).key();
                Args a = Tensors.args(op, 7, true, 2);
                float[] ref = CrossCheck.reference(op, a);
                try (Plan plan = engine.plan(op)) {
                    plan.execute(a);
                    System.err.println("RESULT " + family + ".algorithm=" + plan.algorithm());
                    System.err.println("RESULT " + family + ".default=" + KernelFamily.of(op).defaultConfig(op, d).orElse("none"));
                    System.err.println("RESULT " + family + ".exact=" + (Tensors.firstMismatch(ref, Tensors.out(a)) < 0));
                }
            }
        }
    }
}
