package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.convcl.Activation;
import dev.convcl.PostOps;
import dev.convcl.Sum;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Kernels#gemmInto} and {@link Kernels#finishChannels} of both kernel sets (the vector ones where this JVM has them, each run
 * through {@link KernelWarmup} first so that the JIT's compiled code is what is checked) against
 * what the CPU path did before it: {@link Kernels#gemm} into a zeroed tile, then
 * {@link Epilogue#store} of each row. The same bits ({@link Float#floatToIntBits}) for every
 * epilogue {@link Epilogue#direct} takes, with and without a bias, on row counts that fill 8-row
 * strips and leave single rows, on 1 to 5 vectors of columns and depths 1 to 17, on values that
 * include NaN, infinities, both zeros and values either side of the bounds; nothing between or
 * after the rows written changes.
 */
class GemmIntoKernelsTest {
    private static final float INF = Float.POSITIVE_INFINITY;

    private static List<Kernels> kernels() {
        return WarmedKernels.both();
    }

    private static float[] values(int n, long seed) {
        float[] specials = {Float.NaN, INF, -INF, 0f, -0f, 6f, -3f, 3f, 1e-40f};
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i % 11 == 0 ? specials[rnd.nextInt(specials.length)] : (float) rnd.nextDouble(-4, 4);
        }
        return a;
    }

    /** The post-op chains {@link Epilogue#direct} finishes in registers. */
    private static final List<PostOps> CHAINS = List.of(PostOps.none(), PostOps.of(Activation.relu()),
            PostOps.of(Activation.relu6()), PostOps.of(new Sum(1f)), PostOps.of(new Sum(1f), Activation.relu()),
            PostOps.of(Activation.hardswish()));

    @Test
    void gemmIntoGivesTheTileAndEpiloguesBitsOnEveryShape() {
        List<String> bad = new ArrayList<>();
        int checked = 0;
        for (Kernels k : kernels()) {
            int q = k.quantum();
            for (PostOps chain : CHAINS) {
                for (boolean bias : new boolean[] {false, true}) {
                    for (int m : new int[] {1, 8, 13, 16}) {
                        for (int vectors = 1; vectors <= 5; vectors++) {
                            for (int depth : new int[] {1, 3, 17}) {
                                check(k, new Epilogue(bias, chain, k), m, depth, vectors * q, q, bad);
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), bad.size() > 10 ? bad.subList(0, 10) : bad, () -> bad.size() + " mismatches");
        assertEquals((Kernels.vectorOrNull() == null ? 1 : 2) * CHAINS.size() * 2 * 4 * 5 * 3, checked);
    }

    /** One call: rows of {@code cols} columns {@code ldo} apart in the output, from an odd offset. */
    private static void check(Kernels k, Epilogue epilogue, int m, int depth, int cols, int q, List<String> bad) {
        int lda = depth + 2, aOff = 1, colOffset = 3, ldb = cols + q + 1, outOff = 5, ldo = cols + 7;
        long seed = 1000L * m + 10L * depth + cols;
        float[] a = values(aOff + m * lda, seed);
        float[] b = values(colOffset + depth * ldb, seed + 1);
        int[] rowOffsets = new int[depth];
        for (int r = 0; r < depth; r++) {
            rowOffsets[r] = r * ldb;
        }
        int k0 = 2;
        float[] biasValues = values(k0 + m, seed + 2);
        int outLen = outOff + m * ldo + 3;
        float[] sum = values(outLen, seed + 3);
        DirectStore store = epilogue.direct(biasValues, sum);
        assertNotNull(store, "every chain of the test goes into registers");

        float[][] c = new float[m][cols];
        k.gemm(m, depth, cols, a, aOff, lda, b, rowOffsets, colOffset, c);
        float[] expected = values(outLen, seed + 4);
        float[] got = expected.clone();
        for (int i = 0; i < m; i++) {
            boolean biased = epilogue.hasBias();
            epilogue.store(c[i], 0, expected, outOff + i * ldo, cols, biased, biased ? biasValues[k0 + i] : 0f, sum);
        }
        k.gemmInto(m, depth, cols, a, aOff, lda, b, rowOffsets, colOffset, got, outOff, ldo, store, k0);
        for (int i = 0; i < outLen; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(got[i])) {
                bad.add(k.name() + " " + store + " m=" + m + " depth=" + depth + " cols=" + cols + " at " + i
                        + ": expected " + expected[i] + ", got " + got[i]);
                return;
            }
        }
    }

    /**
     * {@link Kernels#finishChannels} (the channel-lane GEMM's epilogue across a row of channels)
     * against {@link DirectStore#put} value by value, each value taking its own channel's bias: the
     * same bits on every length up to five vectors and more, at an odd offset, for every store that
     * reads no sum; nothing outside the row changes.
     */
    @Test
    void finishChannelsGivesThePutBitsChannelByChannel() {
        List<String> bad = new ArrayList<>();
        for (Kernels k : kernels()) {
            for (PostOps chain : CHAINS) {
                for (boolean bias : new boolean[] {false, true}) {
                    Epilogue epilogue = new Epilogue(bias, chain, k);
                    if (epilogue.hasSum()) {
                        continue;
                    }
                    for (int len = 0; len <= 5 * k.quantum() + 3; len++) {
                        int off = 3, k0 = 2;
                        float[] biasValues = values(k0 + len + 1, len);
                        DirectStore store = epilogue.direct(biasValues, null);
                        float[] a = values(off + len + 4, 7L * len + 1);
                        float[] expected = a.clone();
                        for (int j = 0; j < len; j++) {
                            store.put(expected, off + j, expected, off + j, 1, k0 + j);
                        }
                        k.finishChannels(a, off, len, store, k0);
                        for (int i = 0; i < a.length; i++) {
                            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(a[i])) {
                                bad.add(k.name() + " " + store + " len=" + len + " at " + i + ": expected "
                                        + expected[i] + ", got " + a[i]);
                                break;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), bad.size() > 10 ? bad.subList(0, 10) : bad, () -> bad.size() + " mismatches");
    }

    @Test
    void chainsBeyondTheRegistersAreLeftToTheTile() {
        Kernels k = Kernels.scalar();
        assertNull(new Epilogue(true, PostOps.of(Activation.sigmoid()), k).direct(new float[1], null));
        assertNull(new Epilogue(false, PostOps.of(new Sum(0.5f)), k).direct(null, new float[1]));
        assertNull(new Epilogue(false, PostOps.of(Activation.relu(), Activation.relu6()), k).direct(null, null));
    }
}
