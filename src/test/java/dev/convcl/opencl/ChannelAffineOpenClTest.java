package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.ChannelAffine;
import dev.convcl.HostTensor;
import dev.convcl.NetworkProblems;
import dev.convcl.PostOps;
import dev.convcl.Sum;
import dev.convcl.reference.Accuracy;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.testing.Primitives;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ChannelAffinePlan} ({@code channel_affine.cl}) in both forms at every vector width a
 * device may give it: vectors dividing the plane, and a whole plane a work-item (vectors, then the
 * plane's last elements one by one: planes of 289 and 1225 as Inception's, of 35 and 1, and one
 * that vectors divide), with the sum post-op and activations, against the reference within 1e-6
 * relative L2; and which form this device's own plans take.
 */
class ChannelAffineOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    static List<ChannelAffine> problems() {
        List<ChannelAffine> ops = NetworkProblems.of(ChannelAffine.class);
        ops.add(new ChannelAffine(1, 19, 17, 17, PostOps.of(Activation.relu())));
        ops.add(new ChannelAffine(2, 5, 35, 35, PostOps.of(new Sum(0.5f), Activation.hardswish())));
        ops.add(new ChannelAffine(3, 4, 5, 7, PostOps.none()));
        ops.add(new ChannelAffine(2, 6, 8, 8, PostOps.of(Activation.relu())));
        return ops;
    }

    @Test
    void bothFormsAtEveryWidthMatchTheReference() {
        int checked = 0;
        for (ChannelAffine op : problems()) {
            Args args = NetworkProblems.randomArgs(op, 11);
            Args ref = NetworkProblems.copy(args);
            ReferenceOps.run(op, ref);
            float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
            long plane = (long) op.h() * op.w();
            for (boolean whole : new boolean[] {false, true}) {
                for (int vw = 1; vw <= 16; vw *= 2) {
                    if (!whole && plane % vw != 0) {
                        continue;
                    }
                    Args mine = NetworkProblems.copy(args);
                    try (ChannelAffinePlan p = new ChannelAffinePlan(DEVICE.context(), op, vw, whole)) {
                        Primitives.run(DEVICE.backend(), p, mine);
                    }
                    double err = Accuracy.relativeL2(expected, ((HostTensor) mine.get(Arg.DST)).toArray());
                    assertTrue(err <= 1e-6, op + (whole ? " a plane a work-item" : "") + " in vectors of " + vw
                            + ": relative L2 error " + err);
                    checked++;
                }
            }
        }
        assertTrue(checked >= 40, checked + " configurations checked");
    }

    @Test
    void aCpuDeviceTakesWholePlanesWhereItsWidthDoesNotDivideThem() {
        OpenClDeviceInfo info = DEVICE.context().info();
        int own = GemmDefaults.nativeWidth(info);
        boolean cpu = DeviceProfile.of(info).cpuLike();
        ChannelAffine odd = new ChannelAffine(1, 192, 17, 17, PostOps.of(Activation.relu()));
        ChannelAffine even = new ChannelAffine(1, 192, 8, 8 * own, PostOps.none());
        assertEquals(cpu, ChannelAffinePlan.wholePlanes(info, odd), "17x17 planes on " + info);
        assertEquals(false, ChannelAffinePlan.wholePlanes(info, even), "planes of whole vectors on " + info);
        ChannelAffine few = new ChannelAffine(1, info.computeUnits(), 147, 147, PostOps.none());
        assertEquals(false, ChannelAffinePlan.wholePlanes(info, few), "one plane a compute unit on " + info);
    }

    /** The plane form's work-groups: about four per compute unit, so a few planes still reach every core. */
    @Test
    void planeWorkGroupsSpreadOverTheComputeUnits() {
        OpenClDeviceInfo info = DEVICE.context().info();
        int units = Math.max(1, info.computeUnits());
        for (long planes : new long[] {1, 2L * units, 64, 192, 100_000}) {
            long local = ChannelAffinePlan.planeLocal(info, planes);
            long groups = (planes + local - 1) / local;
            assertTrue(local >= 1 && local <= OpKernelPlan.localSize(info) && Long.bitCount(local) == 1,
                    planes + " planes: local size " + local);
            assertTrue(groups >= Math.min(planes, 4L * units) || local == OpKernelPlan.localSize(info), planes
                    + " planes in " + groups + " work-groups of " + local + " on " + units + " compute units");
        }
    }
}
