package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Binary;
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
 * {@link BinaryPlan} ({@code binary.cl}) with vector widths and runs of outputs a work-item that
 * this device may not get: one output (a GPU's on odd rows), one vector dividing the row (a GPU's),
 * runs that end inside a row (3 with vectors of 2: a vector and a single), the whole row in
 * vectors of 16 and a scalar tail, and this device's own; on the binary problems of the network
 * tests and squeeze-excitation shapes with rows of 49 and 195 (either operand broadcast, the sum
 * post-op and activations), against the reference within 1e-6 relative L2.
 */
class BinaryOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    static List<Binary> problems() {
        List<Binary> ops = NetworkProblems.of(Binary.class);
        ops.add(new Binary(Binary.Kind.MUL, new int[] {1, 24, 7, 7}, new int[] {1, 24, 1, 1}, PostOps.none()));
        ops.add(new Binary(Binary.Kind.MUL, new int[] {2, 24, 7, 7}, new int[] {2, 24, 1, 1},
                PostOps.of(new Sum(0.5f), Activation.hardswish())));
        ops.add(new Binary(Binary.Kind.DIV, new int[] {2, 5, 1, 1}, new int[] {2, 5, 13, 15},
                PostOps.of(Activation.sigmoid())));
        ops.add(new Binary(Binary.Kind.SUB, new int[] {3, 13, 15}, new int[] {3, 13, 15}, PostOps.of(new Sum(-1f))));
        return ops;
    }

    @Test
    void everyWidthAndRunMatchesTheReference() {
        List<Binary> ops = problems();
        int checked = 0;
        int tails = 0;
        for (Binary op : ops) {
            BinaryPlan.Layout l = BinaryPlan.layout(op);
            int row = l.dims()[3];
            Args args = NetworkProblems.randomArgs(op, 5);
            Args ref = NetworkProblems.copy(args);
            ReferenceOps.run(op, ref);
            float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
            int own = BinaryPlan.vectorWidth(DEVICE.context().info(), row);
            int ownRun = BinaryPlan.run(DEVICE.context().info(), row);
            int[][] configs = {{1, 1}, {OpKernelPlan.width(DEVICE.context().info(), row),
                OpKernelPlan.width(DEVICE.context().info(), row)}, {2, 3}, {16, row}, {own, ownRun}};
            for (int[] c : configs) {
                if (c[1] > row) {
                    continue;
                }
                Args mine = NetworkProblems.copy(args);
                try (BinaryPlan plan = new BinaryPlan(DEVICE.context(), op, l, c[0], c[1])) {
                    Primitives.run(DEVICE.backend(), plan, mine);
                }
                float[] actual = ((HostTensor) mine.get(Arg.DST)).toArray();
                double err = Accuracy.relativeL2(expected, actual);
                assertTrue(err <= 1e-6, op + " with vectors of " + c[0] + " in runs of " + c[1]
                        + ": relative L2 error " + err);
                checked++;
                if (c[1] % c[0] != 0 || row % c[1] != 0) {
                    tails++;
                }
            }
        }
        assertTrue(checked > 3 * ops.size(), "checked " + checked + " plans of " + ops.size() + " problems");
        assertTrue(tails > ops.size(), "only " + tails + " plans had runs with a scalar tail or a short last run");
    }

    /** The run and width this device gets on an odd row: whole vectors over the run on a CPU, one vector dividing it on a GPU. */
    @Test
    void oddRowsGetVectors() {
        OpenClDeviceInfo info = DEVICE.context().info();
        int vw = BinaryPlan.vectorWidth(info, 49);
        int run = BinaryPlan.run(info, 49);
        if (DeviceProfile.of(info).cpuLike()) {
            assertEquals(Math.min(16, GemmDefaults.nativeWidth(info)), vw, "vector width on rows of 49");
            assertEquals(49, run, "run on rows of 49");
            int run196 = BinaryPlan.run(info, 196);
            assertTrue(run196 % vw == 0 && run196 <= BinaryPlan.CPU_RUN, "run " + run196 + " on rows of 196");
        } else {
            assertEquals(1, vw, "a GPU's vector on rows of 49 must divide them");
            assertEquals(vw, run, "a GPU's run is one vector");
        }
    }

    @Test
    void aRunOutsideTheRowIsRefused() {
        Binary op = new Binary(Binary.Kind.MUL, new int[] {1, 4, 7, 7}, new int[] {1, 4, 1, 1}, PostOps.none());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BinaryPlan(DEVICE.context(), op, BinaryPlan.layout(op), 4, 50));
        assertEquals("run 50 must be 1 to the collapsed row's 49", e.getMessage());
    }
}
