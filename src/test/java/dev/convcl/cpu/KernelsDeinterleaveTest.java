package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link Kernels#deinterleave2} (a stride-2 row into its two column phases) of both kernels, on
 * every pair count from 0 to four of the widest vectors (64 floats) and more, at odd offsets: each
 * output element is the
 * input element it names, and nothing outside the two output ranges is written.
 */
class KernelsDeinterleaveTest {

    @Test
    void evenAndOddElementsOfEveryLengthAndOffset() {
        Kernels vector = Kernels.vectorOrNull(); // where this JVM has them, as CpuBackends
        float[] in = new float[1000];
        for (int i = 0; i < in.length; i++) {
            in[i] = i + 0.5f;
        }
        for (Kernels k : vector == null ? new Kernels[] {Kernels.scalar()} : new Kernels[] {Kernels.scalar(), vector}) {
            for (int pairs = 0; pairs <= 4 * 64 + 3; pairs++) {
                for (int from : new int[] {0, 1, 7}) {
                    int even = 3, odd = even + pairs + 5;
                    float[] out = new float[odd + pairs + 4];
                    Arrays.fill(out, -1f);
                    k.deinterleave2(in, from, pairs, out, even, odd);
                    for (int i = 0; i < out.length; i++) {
                        String where = k.name() + " kernels, pairs=" + pairs + " from=" + from + ", out[" + i + "]";
                        if (i >= even && i < even + pairs) {
                            assertEquals(in[from + 2 * (i - even)], out[i], where + " (even element " + (i - even) + ")");
                        } else if (i >= odd && i < odd + pairs) {
                            assertEquals(in[from + 2 * (i - odd) + 1], out[i], where + " (odd element " + (i - odd) + ")");
                        } else {
                            assertEquals(-1f, out[i], where + " is outside both ranges and must not change");
                        }
                    }
                }
            }
        }
    }
}
