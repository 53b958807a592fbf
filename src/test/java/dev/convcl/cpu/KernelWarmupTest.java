package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelWarmup}: its shapes take every branch of the kernels (8-, 4- and 1-row GEMM blocks,
 * two-vector and one-vector column blocks, taps in groups of four units, across a row end, and
 * single units), and its calls compute what the plain-Java kernels compute, bit for bit.
 */
class KernelWarmupTest {

    private static List<Kernels> kernels() {
        List<Kernels> all = new ArrayList<>(List.of(Kernels.scalar()));
        Kernels vector = Kernels.vectorOrNull();
        if (vector != null) {
            all.add(vector);
        }
        return all;
    }

    @Test
    void shapesTakeEveryBranch() {
        for (int q : new int[] {8, 16, 64}) {
            KernelWarmup.Shapes s = KernelWarmup.Shapes.of(q);
            assertTrue(s.m() >= 8 && s.m() % 8 >= 4 && s.m() % 4 >= 1, "GEMM rows " + s.m() + ": 8, 4 and 1-row blocks");
            assertEquals(0, s.cols() % q, "columns a multiple of the quantum");
            assertTrue(s.cols() / q >= 3 && s.cols() / q % 2 == 1, "columns " + s.cols() + ": 2-vector blocks and a 1-vector tail");
            int perRow = s.tapRowLen() / q, units = s.tapRows() * perRow;
            assertTrue(s.tapRows() >= 2 && perRow % 4 != 0, "a group of four units spans a row end");
            assertTrue(units >= 4 && units % 4 != 0, units + " units: groups of four and single ones");
            assertTrue(s.depth() >= 2 && s.taps() >= 2, "loops over depth and taps run more than once");
        }
    }

    @Test
    void warmUpCallsComputeWhatThePlainJavaKernelsDo() {
        for (Kernels k : kernels()) {
            // plain Java with the same quantum: the same shapes, so the same results bit for bit
            // (the GEMM on weight panels too: plain Java reads the rows they were made from)
            float[][] expected = KernelWarmup.run(new ScalarKernels(k.quantum()), 1);
            if (!k.lanes()) {
                // no channel-lane GEMM call (vector kernels with fewer than 16 lanes): drop its row
                int lanesRow = 2 * KernelWarmup.Shapes.of(k.quantum()).m() + 5;
                List<float[]> rows = new ArrayList<>(List.of(expected));
                rows.remove(lanesRow);
                expected = rows.toArray(new float[0][]);
            }
            float[][] got = KernelWarmup.run(k, 3);
            assertEquals(expected.length, got.length);
            for (int i = 0; i < got.length; i++) {
                assertArrayEquals(expected[i], got[i], k.name() + " row " + i);
            }
        }
        float[][] once = KernelWarmup.run(Kernels.scalar(), 1);
        boolean nonZero = false;
        for (float[] row : once) {
            for (float v : row) {
                nonZero |= v != 0f;
            }
        }
        assertTrue(nonZero, "the warm-up computes something");
    }
}
