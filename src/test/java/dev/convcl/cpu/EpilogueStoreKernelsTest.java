package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Kernels#hardswishStore} of both kernel sets (the vector ones where this JVM has them)
 * against the loop {@link Epilogue} ran before it, written out here value by value: the same bits ({@link Float#floatToIntBits}, so any NaN equals any NaN) on
 * every length from 0 to four of the widest vectors and more, at odd offsets, with and without a
 * bias, into another array and in place, on values that include NaN, both infinities, both
 * zeros, subnormals and values either side of the bounds; nothing outside the written range
 * changes.
 */
class EpilogueStoreKernelsTest {
    private static final float INF = Float.POSITIVE_INFINITY;

    private static List<Kernels> kernels() {
        return WarmedKernels.both();
    }

    private static float[] values(int n, long seed) {
        float[] specials = {Float.NaN, INF, -INF, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 6f, -3f, 3f,
            Float.MAX_VALUE, -Float.MAX_VALUE, 1e-40f};
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i % 5 == 0 ? specials[rnd.nextInt(specials.length)] : (float) rnd.nextDouble(-9, 9);
        }
        return a;
    }

    private static float hardswishExpected(float v, boolean addBias, float b) {
        float x = addBias ? v + b : v;
        return x * Math.min(Math.max(x / 6f + 0.5f, 0f), 1f);
    }

    @Test
    void hardswishGivesTheEpiloguesBitsOnEveryLengthOffsetAndAliasing() {
        List<String> bad = new ArrayList<>();
        for (Kernels k : kernels()) {
            for (int len = 0; len <= 4 * 16 + 5; len++) {
                for (int off : new int[] {0, 3}) {
                    for (boolean addBias : new boolean[] {false, true}) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            check(k, len, off, addBias, inPlace, bad);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), bad.size() > 10 ? bad.subList(0, 10) : bad, () -> bad.size() + " mismatches");
    }

    /** One call of hardswishStore. */
    private static void check(Kernels k, int len, int off, boolean addBias, boolean inPlace, List<String> bad) {
        float b = addBias ? -0.75f : 0f;
        int srcOff = off, dstOff = inPlace ? off : off + 2;
        float[] src = values(off + len + 4, 31L * len + off);
        float[] before = src.clone();
        float[] dst = inPlace ? src : values(dstOff + len + 4, 97L * len);
        float[] dstBefore = dst.clone();
        String what = "hardswishStore";
        k.hardswishStore(src, srcOff, dst, dstOff, len, addBias, b);
        for (int i = 0; i < dst.length; i++) {
            float expected;
            if (i >= dstOff && i < dstOff + len) {
                float v = before[srcOff + i - dstOff];
                expected = hardswishExpected(v, addBias, b);
            } else {
                expected = dstBefore[i];
            }
            if (Float.floatToIntBits(expected) != Float.floatToIntBits(dst[i])) {
                bad.add(k.name() + " " + what + " len=" + len + " off=" + off + " bias=" + addBias + " inPlace="
                        + inPlace + ": dst[" + i + "] = " + dst[i] + ", expected " + expected);
                return;
            }
        }
        if (!inPlace && !Arrays.equals(before, src)) {
            bad.add(k.name() + " " + what + " len=" + len + " wrote into its source");
        }
    }
}
