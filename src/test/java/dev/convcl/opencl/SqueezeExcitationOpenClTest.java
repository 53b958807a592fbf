package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.HostTensor;
import dev.convcl.NetworkProblems;
import dev.convcl.PostOps;
import dev.convcl.SqueezeExcitation;
import dev.convcl.reference.Accuracy;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.testing.Primitives;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link SqueezeExcitationPlan} ({@code squeeze_excitation.cl}) at every vector width a device may
 * give it (the GPU's 1 and the CPU's 4 to 16) and with every number of images a work-group can take
 * (one, as a GPU gets; all; and splits that leave a short last group), against the reference within
 * 1e-6 relative L2; the images a CPU device gives a group; and the local-memory rule.
 */
class SqueezeExcitationOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    /**
     * Planes with a tail after the vectors (63, 6), channels and squeeze channels past one work-group
     * and past four running sums, an uneven batch (5), and MobileNetV3-small's first and last blocks
     * and RegNetY-400MF's first at batch 3. (NetworkOpsTest runs every problem of NetworkProblems with
     * the device's own width and images a group.)
     */
    static List<SqueezeExcitation> problems() {
        List<SqueezeExcitation> ops = new java.util.ArrayList<>();
        ops.add(new SqueezeExcitation(1, 16, 7, 9, 4, PostOps.of(Activation.relu()), PostOps.of(Activation.hardsigmoid())));
        ops.add(new SqueezeExcitation(3, 70, 3, 4, 19, PostOps.of(Activation.silu()), PostOps.of(Activation.sigmoid())));
        ops.add(new SqueezeExcitation(5, 130, 2, 3, 66, PostOps.of(Activation.gelu()),
                PostOps.of(Activation.hardsigmoid(0.2f, 0.4f))));
        ops.add(new SqueezeExcitation(3, 16, 56, 56, 8, PostOps.of(Activation.relu()),
                PostOps.of(Activation.hardsigmoid())));
        ops.add(new SqueezeExcitation(3, 576, 7, 7, 144, PostOps.of(Activation.relu()),
                PostOps.of(Activation.hardsigmoid())));
        ops.add(new SqueezeExcitation(3, 48, 56, 56, 8, PostOps.of(Activation.relu()), PostOps.of(Activation.sigmoid())));
        // applied: the block's output, each plane times its scale (a tail of 15 after 16-float vectors; 7x7 planes)
        ops.add(new SqueezeExcitation(1, 16, 7, 9, 4, PostOps.of(Activation.relu()), PostOps.of(Activation.hardsigmoid()),
                true));
        ops.add(new SqueezeExcitation(3, 576, 7, 7, 144, PostOps.of(Activation.relu()),
                PostOps.of(Activation.hardsigmoid()), true));
        return ops;
    }

    @Test
    void everyWidthAndImagesPerGroupMatchTheReference() {
        int checked = 0;
        for (SqueezeExcitation op : problems()) {
            Args args = NetworkProblems.randomArgs(op, 13);
            Args ref = NetworkProblems.copy(args);
            ReferenceOps.run(op, ref);
            float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
            for (int vw = 1; vw <= 16; vw *= 2) {
                for (int nb : op.n() > 2 ? new int[] {1, 2, op.n()} : new int[] {1}) {
                    Args mine = NetworkProblems.copy(args);
                    try (SqueezeExcitationPlan p = new SqueezeExcitationPlan(DEVICE.context(), op, vw, nb)) {
                        Primitives.run(DEVICE.backend(), p, mine);
                    }
                    double err = Accuracy.relativeL2(expected, ((HostTensor) mine.get(Arg.DST)).toArray());
                    assertTrue(err <= 1e-6, op + " in vectors of " + vw + ", " + nb + " images a work-group: "
                            + "relative L2 error " + err);
                    checked++;
                }
            }
        }
        assertTrue(checked >= 80, checked + " configurations checked");
    }

    /**
     * A CPU device shares the batch out: no more groups than compute units while the local memory
     * allows, so each core reads the weights once; a group's values within half the local memory; a
     * GPU gives each image its own group.
     */
    @Test
    void imagesPerGroupShareTheBatchOnACpuDevice() {
        OpenClDeviceInfo info = DEVICE.context().info();
        int units = Math.max(1, info.computeUnits());
        boolean cpu = DeviceProfile.of(info).cpuLike();
        for (int n : new int[] {1, 2, 5, 8, 33}) {
            SqueezeExcitation op = new SqueezeExcitation(n, 576, 7, 7, 144, PostOps.of(Activation.relu()),
                    PostOps.of(Activation.hardsigmoid()));
            int nb = SqueezeExcitationPlan.imagesPerGroup(info, op);
            long groups = (n + nb - 1) / nb;
            assertTrue(nb >= 1 && nb <= n, nb + " images a group of " + n);
            assertTrue(nb == 1 || 2L * nb * (576 + 144) * 4 <= info.localMemBytes(), nb + " images' values in "
                    + info.localMemBytes() + " bytes of local memory");
            if (cpu) {
                boolean fits = 2L * ((n + units - 1) / units) * (576 + 144) * 4 <= info.localMemBytes();
                assertTrue(!fits || groups <= units, n + " images in " + groups + " groups on " + units + " units");
                assertTrue(groups >= Math.min(n, units), n + " images in " + groups + " groups on " + units
                        + " units: a unit idles");
            } else {
                assertEquals(1, nb, op + " on " + info);
            }
        }
    }

    /** The pooled and squeezed values must fit half the local memory; an images count outside 1..n is refused. */
    @Test
    void theLocalMemoryRuleAndTheImagesCount() {
        OpenClDeviceInfo info = DEVICE.context().info();
        int c = (int) Math.min(Integer.MAX_VALUE / 4, info.localMemBytes() / 4);
        SqueezeExcitation big = new SqueezeExcitation(1, c, 1, 1, 1, PostOps.none(), PostOps.none());
        String why = SqueezeExcitationPlan.unsupported(info, big);
        assertTrue(why != null && why.contains("local memory"), "rule for " + big + ": " + why);
        SqueezeExcitation small = new SqueezeExcitation(1, 576, 7, 7, 144, PostOps.none(), PostOps.none());
        assertEquals(null, SqueezeExcitationPlan.unsupported(info, small));
        // with apply the scales take the pooled values' place: the same rule, the same images a group
        for (SqueezeExcitation op : List.of(big, small, new SqueezeExcitation(7, 576, 7, 7, 144, PostOps.none(),
                PostOps.none()))) {
            SqueezeExcitation applied = op.withApply(true);
            assertEquals(SqueezeExcitationPlan.unsupported(info, op), SqueezeExcitationPlan.unsupported(info, applied),
                    applied.toString());
            assertEquals(SqueezeExcitationPlan.imagesPerGroup(info, op), SqueezeExcitationPlan.imagesPerGroup(info, applied),
                    applied.toString());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SqueezeExcitationPlan(DEVICE.context(), small, 1, 2));
        assertTrue(e.getMessage().contains("nb=2 must be 1 to n=1"), e.getMessage());
    }
}
