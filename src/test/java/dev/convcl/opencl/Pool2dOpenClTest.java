package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.HostTensor;
import dev.convcl.NetworkProblems;
import dev.convcl.Pool2d;
import dev.convcl.Window2d;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.testing.Primitives;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Pool2dPlan} ({@code pool2d.cl}) with every run of outputs a work-item may be given, not
 * only the one this device gets: 1 (what a GPU gets), 3 (runs that end inside a row), 4, 8 and 16
 * in one vector, and whole rows in vectors of 4, 8 and 16 (a CPU device's), on the pooling problems of the network tests and on edge cases
 * (ceil mode, dilation, strides 1-3, padding on odd rows, NaN inputs), against the reference; max
 * pooling bit for bit, average pooling within 1e-6 relative L2.
 */
class Pool2dOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    /** Vector runs at every stride, dilation, padding and row end the vector form treats apart. */
    private static final List<Pool2d> EDGES = List.of(
            new Pool2d(Pool2d.Kind.AVG, 1, 3, 35, 35, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, true),
            new Pool2d(Pool2d.Kind.AVG, 1, 3, 35, 35, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, false),
            new Pool2d(Pool2d.Kind.MAX, 1, 2, 41, 41, Window2d.of(3, 3, 2, 2, 0, 0, 1, 1), false, false),
            new Pool2d(Pool2d.Kind.MAX, 1, 2, 37, 50, Window2d.of(3, 3, 1, 1, 1, 1, 2, 2), false, false),
            new Pool2d(Pool2d.Kind.AVG, 1, 2, 20, 53, Window2d.of(5, 5, 3, 3, 2, 2, 1, 1), true, false),
            new Pool2d(Pool2d.Kind.AVG, 1, 2, 20, 53, Window2d.of(5, 5, 3, 3, 2, 2, 1, 1), true, true),
            new Pool2d(Pool2d.Kind.MAX, 1, 2, 23, 39, Window2d.of(2, 2, 2, 2, 0, 0, 1, 1), true, false),
            new Pool2d(Pool2d.Kind.MAX, 2, 2, 19, 67, new Window2d(3, 3, 2, 2, 1, 0, 0, 1, 1, 1), true, false),
            new Pool2d(Pool2d.Kind.AVG, 2, 2, 19, 67, new Window2d(3, 3, 2, 2, 1, 0, 0, 1, 1, 1), true, true),
            // rows as short as Inception's (17 and 8 wide): whole rows of two overlapping vectors
            new Pool2d(Pool2d.Kind.AVG, 1, 3, 17, 17, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, true),
            new Pool2d(Pool2d.Kind.MAX, 1, 2, 17, 17, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, false),
            new Pool2d(Pool2d.Kind.MAX, 1, 2, 17, 17, Window2d.of(3, 3, 2, 2, 0, 0, 1, 1), false, false),
            new Pool2d(Pool2d.Kind.AVG, 1, 2, 8, 9, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, false),
            new Pool2d(Pool2d.Kind.AVG, 1, 2, 9, 18, Window2d.of(3, 3, 2, 2, 1, 1, 1, 1), true, false),
            new Pool2d(Pool2d.Kind.MAX, 1, 2, 10, 10, Window2d.of(3, 3, 1, 1, 1, 1, 2, 2), false, false),
            // global average pools, a plane a work-item: planes shorter than a vector, a vector and
            // a lane, many vectors and a tail, one element
            Pool2d.globalAverage(2, 3, 3, 5), Pool2d.globalAverage(1, 5, 17, 1), Pool2d.globalAverage(2, 16, 7, 7),
            Pool2d.globalAverage(1, 4, 56, 57), Pool2d.globalAverage(3, 2, 1, 1),
            // a global max pool keeps the window forms
            new Pool2d(Pool2d.Kind.MAX, 1, 3, 7, 9, Window2d.of(7, 9, 1, 1, 0, 0, 1, 1), false, false));

    @Test
    void everyRunMatchesTheReference() {
        List<Pool2d> pools = NetworkProblems.of(Pool2d.class);
        pools.addAll(EDGES);
        assertTrue(pools.stream().anyMatch(p -> p.outW() > 16), "a problem must have rows longer than 16");
        int checked = 0;
        int planeSums = 0;
        for (Pool2d op : pools) {
            Args args = NetworkProblems.randomArgs(op, 5);
            if (op.kind() == Pool2d.Kind.MAX && pools.indexOf(op) % 2 == 0) {
                float[] x = ((HostTensor) args.get(Arg.SRC)).array();
                for (int i = 3; i < x.length; i += 37) {
                    x[i] = Float.NaN; // a NaN tap makes the output NaN, in the middle of a run or at its edge
                }
            }
            Args ref = NetworkProblems.copy(args);
            ReferenceOps.run(op, ref);
            float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
            int w = op.outW();
            boolean rows = op.window().strideW() <= 2;
            int[][] runs = Pool2dPlan.sumsPlanes(op) ? new int[][] {{1, 1}, {1, 2}, {1, 4}, {1, 8}, {1, 16}}
                    : new int[][] {{1, 1}, {3, 1}, {4, 4}, {8, 8}, {16, 16}, {w, 1}, {rows ? w : 0, 4}, {rows ? w : 0, 8},
                        {rows ? w : 0, 16}};
            for (int[] rv : runs) {
                int run = rv[0], vw = rv[1];
                if (run < 1 || run > w || run < vw && !Pool2dPlan.sumsPlanes(op)) {
                    continue;
                }
                Args mine = NetworkProblems.copy(args);
                try (Pool2dPlan plan = new Pool2dPlan(DEVICE.context(), op, run, vw)) {
                    Primitives.run(DEVICE.backend(), plan, mine);
                }
                float[] actual = ((HostTensor) mine.get(Arg.DST)).toArray();
                if (op.kind() == Pool2d.Kind.MAX) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, op + " with runs of " + run + " in vectors of " + vw);
                } else {
                    double err = dev.convcl.reference.Accuracy.relativeL2(expected, actual);
                    assertTrue(err <= 1e-6, op + " with runs of " + run + " in vectors of " + vw + ": relative L2 error " + err);
                }
                checked++;
                planeSums += Pool2dPlan.sumsPlanes(op) ? 1 : 0;
            }
        }
        assertTrue(checked > pools.size(), "checked " + checked + " plans of " + pools.size() + " problems");
        assertTrue(planeSums >= 25, "global average pools summed a plane a work-item: " + planeSums);
    }

    /**
     * A max pool's NaN wherever it lies in a window: each input of 3x3/2 pools (whose whole rows of
     * vectors take a row's taps from two loads and one float) NaN in turn, the rest finite and an
     * infinity next to it, without padding, with padding 1, and in ceil mode with padding on the
     * left and bottom only, on whole rows in vectors of 4, 8 and 16 (direct, and staged where the
     * 33-wide row's 16-float vectors reach the padding) and on one-vector runs of 16; equal to the
     * reference, which gives NaN to every window that holds it (JUnit compares floats by
     * floatToIntBits: any NaN equals any NaN, -0 differs from +0).
     */
    @Test
    void aNaNAnywhereInAMaxWindowGivesNaN() {
        int checked = 0;
        int staged = 0;
        List<Pool2d> pools = List.of(Pool2d.max(1, 1, 5, 39, 3, 2, 0), Pool2d.max(1, 1, 5, 40, 3, 2, 1),
                Pool2d.max(1, 1, 5, 33, 3, 2, 1),
                new Pool2d(Pool2d.Kind.MAX, 1, 1, 5, 42, new Window2d(3, 3, 2, 2, 0, 1, 1, 0, 1, 1), true, false));
        for (Pool2d op : pools) {
            int w = op.outW();
            int inputs = op.h() * op.w();
            for (int at = 0; at < inputs; at++) {
                Args args = NetworkProblems.randomArgs(op, 11);
                float[] x = ((HostTensor) args.get(Arg.SRC)).array();
                x[at] = Float.NaN;
                if (at + 1 < x.length) {
                    x[at + 1] = Float.POSITIVE_INFINITY; // the window's max beside the NaN must not win
                }
                Args ref = NetworkProblems.copy(args);
                ReferenceOps.run(op, ref);
                float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
                for (int[] rv : new int[][] {{w, 4}, {w, 8}, {w, 16}, {16, 16}}) {
                    int run = rv[0], vw = rv[1];
                    if (run > w || run < vw) {
                        continue;
                    }
                    Args mine = NetworkProblems.copy(args);
                    try (Pool2dPlan plan = new Pool2dPlan(DEVICE.context(), op, run, vw)) {
                        Primitives.run(DEVICE.backend(), plan, mine);
                    }
                    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, ((HostTensor) mine.get(Arg.DST)).toArray(),
                            op + " with runs of " + run + " in vectors of " + vw + " and a NaN at input " + at);
                    checked++;
                    staged += run == w && !Pool2dPlan.directRows(op, vw) ? 1 : 0;
                }
            }
        }
        assertTrue(checked >= 4 * 5 * 33, "checked " + checked);
        assertTrue(staged >= 5 * 33, "staged whole rows checked: " + staged);
    }

    /**
     * Whole rows take the widest vector that gives the direct form (a vector whose taps stay in the
     * input row), staged rows only where no width of 4 or more does: on a 16-float device,
     * Inception's 17x17 and 8x8 3x3/1 average pools and its 17-to-8 3x3/2 max pool in vectors of 8,
     * 4 and 4, its 35x35 and 147-to-73 pools and ResNet's 112-to-56 max pool in 16; on an 8-float
     * device the 17x17 pool keeps 8.
     */
    @Test
    void wholeRowsTakeTheWidestDirectVector() {
        OpenClDeviceInfo avx512 = DeviceProfileTest.AVX512;
        Pool2d avg17 = new Pool2d(Pool2d.Kind.AVG, 1, 768, 17, 17, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, false);
        Pool2d avg8 = new Pool2d(Pool2d.Kind.AVG, 1, 1280, 8, 8, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, false);
        Pool2d max17 = Pool2d.max(1, 768, 17, 17, 3, 2, 0);
        Pool2d avg35 = new Pool2d(Pool2d.Kind.AVG, 1, 288, 35, 35, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, false);
        Pool2d max147 = Pool2d.max(1, 64, 147, 147, 3, 2, 0);
        Pool2d max112 = Pool2d.max(1, 64, 112, 112, 3, 2, 1);
        assertEquals(List.of(8, 4, 4, 16, 16, 16), List.of(avg17, avg8, max17, avg35, max147, max112).stream()
                .map(p -> Pool2dPlan.vectorWidth(avx512, p)).toList());
        assertEquals(8, Pool2dPlan.vectorWidth(DeviceProfileTest.AVX2, avg17));
        for (Pool2d p : List.of(avg17, avg8, max17, avg35, max147, max112)) {
            assertTrue(Pool2dPlan.directRows(p, Pool2dPlan.vectorWidth(avx512, p)), p.toString());
        }
        assertFalse(Pool2dPlan.directRows(avg17, 16), "a 16-wide vector of 17 outputs reaches the padding");
        // no width gives the direct form: a 5-wide row, 4-wide vectors, a 5x5 window with padding 2
        Pool2d narrow = new Pool2d(Pool2d.Kind.AVG, 1, 1, 5, 5, Window2d.of(5, 5, 1, 1, 2, 2, 1, 1), false, true);
        assertFalse(Pool2dPlan.directRows(narrow, 4));
        assertEquals(4, Pool2dPlan.vectorWidth(avx512, narrow));
    }

    @Test
    void aRunOutsideTheRowIsRefused() {
        Pool2d op = Pool2d.max(1, 1, 8, 8, 3, 2, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Pool2dPlan(DEVICE.context(), op, op.outW() + 1, 1));
        assertEquals("run 5 must be 1 to the output row's 4", e.getMessage());
        Pool2d wide = Pool2d.max(1, 1, 40, 40, 3, 3, 1);
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class,
                () -> new Pool2dPlan(DEVICE.context(), wide, wide.outW(), 8));
        assertEquals("vectors of 8 need runs of one vector or whole rows at stride 1 or 2, not runs of 14 at stride 3",
                v.getMessage());
    }
}
