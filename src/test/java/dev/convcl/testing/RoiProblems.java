package dev.convcl.testing;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.HostTensor;
import dev.convcl.RoiAlign;
import dev.convcl.Tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.reference.Accuracy;
import dev.convcl.reference.ReferenceOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The RoI operators' test problems: a descriptor with its RoIs (and offsets and masks), chosen
 * to reach every rule of {@link RoiAlign}: aligned and not, sampling ratio 0 / 1 / 2, scales 1,
 * 1/4 and 1/16, odd map sizes, non-square outputs, many RoIs, RoIs partly and wholly outside the
 * map, degenerate RoIs (zero size, x2 < x1), offsets that push bins off the map, masks.
 */
public final class RoiProblems {
    /** Output elements no implementation may leave as they were. */
    public static final float SENTINEL = 12345.5f;

    private RoiProblems() {
    }

    /** A problem: the operator and the values of its RoIs, offsets and masks (null when it takes none). */
    public record Case(String name, RoiAlign op, float[] rois, float[] offset, float[] mask, long seed) {
        @Override
        public String toString() {
            return name + " " + op;
        }

        /** Host tensors of every argument, the input random in [-1, 1], the output full of {@link #SENTINEL}. */
        public Args args() {
            Random r = new Random(seed);
            float[] x = new float[op.n() * op.c() * op.h() * op.w()];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextFloat() * 2 - 1;
            }
            Args.Builder b = Args.builder().src(Tensor.of(x, op.n(), op.c(), op.h(), op.w()))
                    .rois(Tensor.of(rois.clone(), op.rois(), 5));
            if (offset != null) {
                b.offset(Tensor.of(offset.clone(), op.rois(), 2, op.outH(), op.outW()));
            }
            if (mask != null) {
                b.set(Arg.MASK, Tensor.of(mask.clone(), op.rois(), 1, op.outH(), op.outW()));
            }
            float[] y = new float[(int) ArgsSize.of(op.outputShape())];
            Arrays.fill(y, SENTINEL);
            return b.dst(Tensor.of(y, op.outputShape())).build();
        }

        /** The reference output of {@link #args()}. */
        public float[] expected() {
            Args a = args();
            ReferenceOps.run(op, a);
            return ((HostTensor) a.get(Arg.DST)).toArray();
        }
    }

    /** Tensor sizes. */
    static final class ArgsSize {
        static long of(int[] shape) {
            long s = 1;
            for (int d : shape) {
                s *= d;
            }
            return s;
        }
    }

    /** Random RoIs in image coordinates over a map of {@code h x w} at {@code scale}: some inside, some across the border. */
    static float[] randomRois(Random r, int k, int n, int h, int w, float scale) {
        float[] v = new float[k * 5];
        float ih = h / scale, iw = w / scale;
        for (int i = 0; i < k; i++) {
            float x1 = (r.nextFloat() * 1.3f - 0.15f) * iw, y1 = (r.nextFloat() * 1.3f - 0.15f) * ih;
            float bw = r.nextFloat() * 0.8f * iw, bh = r.nextFloat() * 0.8f * ih;
            v[i * 5] = r.nextInt(n);
            v[i * 5 + 1] = x1;
            v[i * 5 + 2] = y1;
            v[i * 5 + 3] = x1 + bw;
            v[i * 5 + 4] = y1 + bh;
        }
        return v;
    }

    static float[] uniform(Random r, int count, float lo, float hi) {
        float[] v = new float[count];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + r.nextFloat() * (hi - lo);
        }
        return v;
    }

    /** RoIs that every operator must handle: outside, across the border, degenerate, the whole map. */
    static float[] edgeRois(int n, int h, int w, float scale) {
        float ih = h / scale, iw = w / scale;
        return new float[] {
            0, 0, 0, iw - 1 / scale, ih - 1 / scale,                 // the whole map
            n - 1, -3 * iw, -3 * ih, -2 * iw, -2 * ih,               // wholly outside, above left
            0, 2 * iw, 2 * ih, 3 * iw, 3 * ih,                       // wholly outside, below right
            n - 1, -0.5f * iw, 0.25f * ih, 0.5f * iw, 1.5f * ih,     // across two borders
            0, 0.3f * iw, 0.3f * ih, 0.3f * iw, 0.3f * ih,           // zero size (a point)
            0, 0.6f * iw, 0.2f * ih, 0.2f * iw, 0.7f * ih,           // x2 < x1
            n - 1, 0.2f * iw, 0.8f * ih, 0.7f * iw, 0.1f * ih,       // y2 < y1
            0.7f, 1 / scale, 1 / scale, 2 / scale, 1.5f / scale,     // a fractional batch index (truncated)
        };
    }

    public static List<Case> handPicked() {
        List<Case> cases = new ArrayList<>();
        long seed = 1;
        for (float scale : new float[] {1f, 0.25f, 0.0625f}) {
            for (int sr : new int[] {0, 1, 2, -1}) {
                for (boolean aligned : new boolean[] {false, true}) {
                    int n = 2, c = 3, h = 13, w = 11;
                    Random r = new Random(seed);
                    float[] rois = concat(edgeRois(n, h, w, scale), randomRois(r, 12, n, h, w, scale));
                    RoiAlign op = RoiAlign.roiAlign(n, c, h, w, rois.length / 5, 3, 5, scale, sr, aligned);
                    cases.add(new Case("roi_align", op, rois, null, null, seed++));
                }
                if (sr >= 0) {
                    int n = 2, h = 9, w = 14, ph = 3, pw = 2;
                    Random r = new Random(seed);
                    float[] rois = concat(edgeRois(n, h, w, scale), randomRois(r, 10, n, h, w, scale));
                    cases.add(new Case("ps_roi_align", RoiAlign.psRoiAlign(n, 2 * ph * pw, h, w, rois.length / 5, ph, pw,
                            scale, sr), rois, null, null, seed++));
                    RoiAlign d = RoiAlign.deformRoiPool(n, 3, h, w, rois.length / 5, ph, pw, scale, sr, 0.1f, true, true);
                    cases.add(new Case("deform_roi_pool", d, rois, uniform(r, d.rois() * 2 * ph * pw, -1, 1),
                            uniform(r, d.rois() * ph * pw, 0, 1), seed++));
                }
            }
        }
        // one sample a bin exactly on every border the rule names: -1, between -1 and 0, 0, the
        // last row and column, H and W, and just beyond
        for (boolean aligned : new boolean[] {false, true}) {
            int h = 5, w = 7;
            float[] ys = {-1.5f, -1f, -0.5f, 0f, 0.5f, h - 1, h - 0.5f, h, h + 0.5f};
            float[] xs = {-1.5f, -1f, -0.5f, 0f, 0.5f, w - 1, w - 0.5f, w, w + 0.5f};
            float shift = aligned ? 0.5f : 0f;
            float[] rois = new float[ys.length * xs.length * 5];
            int k = 0;
            for (float cy : ys) {
                for (float cx : xs) {
                    // a 2x2 RoI centred on (cx, cy) after the shift: its one sample (sr=1, 1x1 output) is there
                    rois[k * 5] = k % 2;
                    rois[k * 5 + 1] = cx + shift - 1;
                    rois[k * 5 + 2] = cy + shift - 1;
                    rois[k * 5 + 3] = cx + shift + 1;
                    rois[k * 5 + 4] = cy + shift + 1;
                    k++;
                }
            }
            cases.add(new Case("roi_align.borders", RoiAlign.roiAlign(2, 2, h, w, k, 1, 1, 1f, 1, aligned), rois, null,
                    null, seed++));
            if (aligned) {
                cases.add(new Case("deform_roi_pool.borders", RoiAlign.deformRoiPool(2, 2, h, w, k, 1, 1, 1f, 1, 0.1f,
                        false, false), rois, null, null, seed++));
                cases.add(new Case("ps_roi_align.borders", RoiAlign.psRoiAlign(2, 2, h, w, k, 1, 1, 1f, 1), rois, null,
                        null, seed++));
            }
        }
        // 1x1 maps and outputs, a single RoI; a map of one row
        cases.add(new Case("roi_align.1x1", RoiAlign.roiAlign(1, 1, 1, 1, 1, 1, 1, 1f, 0, true),
                new float[] {0, -0.2f, 0.1f, 0.4f, 0.9f}, null, null, seed++));
        cases.add(new Case("roi_align.row", RoiAlign.roiAlign(1, 2, 1, 17, 2, 2, 7, 1f, 0, false),
                new float[] {0, 0, 0, 16, 0, 0, 3, -1, 9, 2}, null, null, seed++));
        // offsets that push bins off the map (|gamma * size * offset| well beyond the map), no mask
        {
            int n = 1, h = 8, w = 8;
            Random r = new Random(seed);
            float[] rois = randomRois(r, 6, n, h, w, 1f);
            RoiAlign d = RoiAlign.deformRoiPool(n, 2, h, w, 6, 4, 4, 1f, 2, 1f, true, false);
            cases.add(new Case("deform_roi_pool.far", d, rois, uniform(r, 6 * 2 * 16, -3, 3), null, seed++));
            RoiAlign plain = RoiAlign.deformRoiPool(n, 2, h, w, 6, 4, 4, 1f, 0, 0.1f, false, false);
            cases.add(new Case("deform_roi_pool.plain", plain, rois, null, null, seed++));
            RoiAlign masked = RoiAlign.deformRoiPool(n, 2, h, w, 6, 4, 4, 0.5f, 1, 0.1f, false, true);
            cases.add(new Case("deform_roi_pool.mask-only", masked, rois, null, uniform(r, 6 * 16, -1, 2), seed++));
        }
        // adaptive grids on the float/double boundary: 40 * 0.1f is 4.0f on the map (4.0000000596 in
        // double), 2 samples a bin and axis over 2x2 bins in float as the peers and kernels take, 3 in double
        float[] boundary = {0, 0, 0, 40, 40, 0, 10, 0, 50, 40};
        cases.add(new Case("roi_align.float-grid", RoiAlign.roiAlign(1, 2, 6, 6, 2, 2, 2, 0.1f, 0, false), boundary,
                null, null, seed++));
        cases.add(new Case("ps_roi_align.float-grid", RoiAlign.psRoiAlign(1, 8, 6, 6, 2, 2, 2, 0.1f, 0), boundary,
                null, null, seed++));
        return cases;
    }

    /**
     * Tiny problems, one per build configuration of roi_align.cl (roi_align aligned and not,
     * ps_roi_align, deform_roi_pool with and without offsets and masks), each with the edge RoIs:
     * what the kernel-coverage checks and oclgrind run.
     */
    public static List<Case> kernelCoverage() {
        int n = 2, h = 5, w = 6;
        Random r = new Random(7);
        float[] rois = concat(edgeRois(n, h, w, 0.5f), randomRois(r, 3, n, h, w, 0.5f));
        int k = rois.length / 5;
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("roi_align", RoiAlign.roiAlign(n, 2, h, w, k, 2, 3, 0.5f, 0, true), rois, null, null, 1));
        cases.add(new Case("roi_align.unaligned", RoiAlign.roiAlign(n, 2, h, w, k, 3, 2, 0.5f, 2, false), rois, null,
                null, 2));
        cases.add(new Case("ps_roi_align", RoiAlign.psRoiAlign(n, 8, h, w, k, 2, 2, 0.5f, 0), rois, null, null, 3));
        for (int v = 0; v < 4; v++) {
            boolean off = (v & 1) != 0, mask = (v & 2) != 0;
            RoiAlign d = RoiAlign.deformRoiPool(n, 2, h, w, k, 2, 2, 0.5f, v == 3 ? 1 : 0, 0.3f, off, mask);
            cases.add(new Case("deform_roi_pool", d, rois, off ? uniform(r, k * 8, -2, 2) : null,
                    mask ? uniform(r, k * 4, 0, 1) : null, 4 + v));
        }
        return cases;
    }

    /** Many RoIs over a batch of 2 at 7x7 and 14x14: the memory is the output's, whatever the number of RoIs. */
    public static List<Case> manyRois() {
        List<Case> cases = new ArrayList<>();
        long seed = 100;
        for (int p : new int[] {7, 14}) {
            Random r = new Random(seed);
            int n = 2, h = 25, w = 34, k = 1000;
            float scale = 0.0625f;
            float[] rois = randomRois(r, k, n, h, w, scale);
            cases.add(new Case("roi_align.many", RoiAlign.roiAlign(n, 4, h, w, k, p, p, scale, 2, true), rois, null, null,
                    seed++));
            cases.add(new Case("deform_roi_pool.many", RoiAlign.deformRoiPool(n, 4, h, w, k, p, p, scale, 2, 0.1f, true,
                    false), rois, uniform(r, k * 2 * p * p, -0.5f, 0.5f), null, seed++));
        }
        return cases;
    }

    public static float[] concat(float[] a, float[] b) {
        float[] v = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, v, a.length, b.length);
        return v;
    }

    /** Within relative L2 1e-5 of the reference, NaN in the same places, nothing left at the sentinel. */
    public static void assertClose(float[] expected, float[] actual, String what) {
        for (int i = 0; i < actual.length; i++) {
            assertTrue(actual[i] != SENTINEL, what + ": output element " + i + " was not written");
        }
        double err = Accuracy.relativeL2(expected, actual);
        assertTrue(err <= 1e-5, what + ": relative L2 " + err + " > 1e-5");
    }
}
