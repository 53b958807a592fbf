package dev.convcl.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Deformable sampling at its edges, shared by every deform2d path (reference, CPU algorithms,
 * OpenCL kernels). The semantics (see {@link DeformConv2d}):
 * <ul>
 *   <li>a NaN offset (dy or dx) makes the sample NaN, so every output that uses it is NaN, even
 *       when the other coordinate is infinite or the mask is zero;</li>
 *   <li>a NaN mask makes its sample NaN, also when the sample point is outside the image
 *       ({@code 0 * NaN});</li>
 *   <li>an infinite offset, like any point with y &lt;= -1, y &gt;= H, x &lt;= -1 or x &gt;= W, is
 *       out of the image: a zero sample, still multiplied by its mask and weight ({@code 0 * inf =
 *       NaN});</li>
 *   <li>the bilinear fraction is the offset's own fraction, whatever the integer position: no bits
 *       are lost on wide or tall maps, up to 2^24 pixels.</li>
 * </ul>
 * Each case is computed by hand (binary fractions, so the float32 results are exact), and the wide
 * maps are checked against a float64 computation written here, independent of the reference.
 */
public final class DeformEdgeCases {
    private DeformEdgeCases() {
    }

    /** Relative L2 bound against float64 on wide and tall maps with fractional offsets. */
    public static final double WIDE_MAP_TOLERANCE = 1e-6;

    private static final float NAN = Float.NaN;
    private static final float INF = Float.POSITIVE_INFINITY;

    /** One hand-computed case: a spec, its tensors and the expected output. */
    public record Case(String name, DeformConv2d spec, Args args, float[] expected) {
        @Override
        public String toString() {
            return name + " (" + spec + ")";
        }

        /**
         * Null when {@code run}, given a copy of the tensors with a NaN-poisoned output, writes
         * the expected output ({@link #exactDisagreement}); else what differs.
         */
        public String failure(Consumer<Args> run) {
            Args a = Tensors.withFreshOutput(args, spec);
            run.accept(a);
            float[] got = Tensors.out(a);
            String bad = exactDisagreement(expected, got);
            return bad == null ? null : name + ": " + bad + "; expected " + brief(expected) + " got " + brief(got);
        }
    }

    /** The hand-computed cases; {@code withHugeMaps} adds the 2^24-wide and 2^24-tall maps (64 MiB inputs). */
    public static List<Case> handComputed(boolean withHugeMaps) {
        List<Case> out = new ArrayList<>();
        // A 2x2 image [[1,2],[3,4]], a 1x1 weight of 1: each output samples its own pixel, moved
        // by its offset. Offsets are given as (dy plane, dx plane), masks as one plane.
        DeformConv2d v1 = DeformConv2d.parse("op=deform2d n=1 c=1 h=2 w=2 k=1 kh=1 kw=1 og=1 mask=0");
        DeformConv2d v2 = DeformConv2d.parse("op=deform2d n=1 c=1 h=2 w=2 k=1 kh=1 kw=1 og=1 mask=1");
        float[] img = {1, 2, 3, 4};
        float[] one = {1};
        float[] z = {0, 0, 0, 0};
        float[] ones = {1, 1, 1, 1};
        out.add(of("dy NaN at (0,0) (torchvision's [[nan,2],[3,4]])", v1, img, one, offsets(new float[] {NAN, 0, 0, 0}, z),
                null, new float[] {NAN, 2, 3, 4}));
        out.add(of("dx NaN at (1,1)", v1, img, one, offsets(z, new float[] {0, 0, 0, NAN}), null,
                new float[] {1, 2, 3, NAN}));
        out.add(of("dy +inf at (0,0), dx -inf at (1,1): out of the image, zero samples", v1, img, one,
                offsets(new float[] {INF, 0, 0, 0}, new float[] {0, 0, 0, -INF}), null, new float[] {0, 2, 3, 0}));
        out.add(of("dy NaN with dx +inf at (0,1): NaN wins over out of the image", v1, img, one,
                offsets(new float[] {0, NAN, 0, 0}, new float[] {0, INF, 0, 0}), null, new float[] {1, NAN, 3, 4}));
        out.add(of("huge finite offsets (1e30, -1e30, 2^31, -3e9) are out of the image, no overflow", v1, img, one,
                offsets(new float[] {1e30f, 0, 0x1p31f, 0}, new float[] {0, -1e30f, 0, -3e9f}), null, z));
        out.add(of("offsets +-1e4 are out of the image", v1, img, one,
                offsets(new float[] {1e4f, -1e4f, 0, 0}, new float[] {0, 0, 1e4f, -1e4f}), null, z));
        out.add(of("dy +inf with an infinite weight: 0 * inf = NaN", v1, img, new float[] {INF},
                offsets(new float[] {INF, 0, 0, 0}, z), null, new float[] {NAN, INF, INF, INF}));
        out.add(of("mask NaN at (0,1)", v2, img, one, offsets(z, z), new float[] {1, NAN, 1, 1},
                new float[] {1, NAN, 3, 4}));
        out.add(of("mask NaN on a sample outside the image (dx +inf): 0 * NaN = NaN", v2, img, one,
                offsets(z, new float[] {0, INF, 0, 0}), new float[] {1, NAN, 1, 1}, new float[] {1, NAN, 3, 4}));
        out.add(of("mask +inf inside (inf) and on a sample outside (0 * inf = NaN)", v2, img, one,
                offsets(new float[] {0, 0, -INF, 0}, z), new float[] {INF, 1, INF, 1}, new float[] {INF, 2, NAN, 4}));
        out.add(of("mask 0 on a NaN offset: NaN * 0 = NaN", v2, img, one, offsets(new float[] {NAN, 0, 0, 0}, z),
                new float[] {0, 1, 1, 1}, new float[] {NAN, 2, 3, 4}));
        // [[inf,2],[3,NaN]]: a point exactly on y = -1, y = H, x = -1 or x = W is outside, so its
        // zero-weight neighbours inside are not multiplied (0 * inf would be NaN); just inside, they are.
        float[] poisoned = {INF, 2, 3, NAN};
        out.add(of("points exactly on -1, H and W are outside, even next to inf and NaN pixels", v1, poisoned, one,
                offsets(new float[] {-1, 0, 1, 0}, new float[] {0, 1, 0, -2}), null, z));
        out.add(of("points just inside -1 take their share of an inf pixel; a zero-weight NaN neighbour gives NaN", v1,
                poisoned, one, offsets(new float[] {-0.5f, 0, 0, 0}, new float[] {0, -1.5f, 0, 0}), null,
                new float[] {INF, INF, NAN, NAN}));
        out.add(of("a finite mask scales a finite sample", v2, img, one, offsets(z, z), new float[] {0.5f, 2, 0, -1},
                new float[] {0.5f, 4, 0, -4}));

        // A 1x4 row [10,20,30,40]: the edges of the image, and fractions that need every bit.
        DeformConv2d row = DeformConv2d.parse("op=deform2d n=1 c=1 h=1 w=4 k=1 kh=1 kw=1 og=1 mask=0");
        float[] rowImg = {10, 20, 30, 40};
        out.add(of("x exactly -1 or W is out; -0.5 and W-0.75 sample half and a quarter of the edge pixel", row, rowImg,
                one, offsets(new float[4], new float[] {-1, -1.5f, 1.25f, 1}), null, new float[] {0, 5, 30, 0}));
        out.add(of("y exactly -1 is out; -0.5, +0.5, -0.75, +0.25 take a share of row 0", row, rowImg, one,
                offsets(new float[] {-1, 0.5f, -0.75f, 0.25f}, new float[4]), null, new float[] {0, 10, 7.5f, 30}));
        out.add(of("fractions of 2^-10 and 2^-20 next to the edges", row, rowImg, one,
                offsets(new float[4], new float[] {-1 + 0x1p-10f, 0x1p-20f, -0x1p-20f, -0.5f}), null,
                new float[] {10 * 0x1p-10f, 20 + 10 * 0x1p-20f, 30 - 10 * 0x1p-20f, 35}));

        if (withHugeMaps) {
            // 2^24 pixels in a row (or column), two outputs: at 0 and at 2^24 - 3. In float32,
            // (2^24 - 3) + 1.25 rounds to 2^24 - 2; the sample must be 0.75 * in[W-2] + 0.25 * in[W-1].
            int big = 1 << 24;
            for (boolean tall : new boolean[] {false, true}) {
                String shape = tall ? "h=" + big + " w=1" : "h=1 w=" + big;
                String stride = tall ? (big - 3) + ",1" : "1," + (big - 3);
                DeformConv2d s = DeformConv2d.parse("op=deform2d n=1 c=1 " + shape + " k=1 kh=1 kw=1 stride=" + stride
                        + " og=1 mask=0");
                float[] in = new float[big];
                in[0] = 1;
                in[1] = 2;
                in[big - 2] = 8;
                in[big - 1] = 4;
                float[] d = {0.25f, 1.25f};
                float[] off = tall ? offsets(d, new float[2]) : offsets(new float[2], d);
                out.add(of((tall ? "a 2^24-tall map" : "a 2^24-wide map") + ": the fraction 0.25 at 2^24 - 1.75", s, in,
                        one, off, null, new float[] {1.25f, 7}));
            }
        }
        return out;
    }

    /** Runs every hand-computed case through {@code backend}, which computes {@code args.output()}. */
    public static void checkHandComputed(String backendName, boolean withHugeMaps,
                                         BiConsumer<Convolution, Args> backend) {
        List<String> failures = new ArrayList<>();
        for (Case c : handComputed(withHugeMaps)) {
            String bad = c.failure(args -> backend.accept(c.spec(), args));
            if (bad != null) {
                failures.add(bad);
            }
        }
        assertEquals(List.of(), failures, backendName + ": deformable edge cases");
    }

    /** Wide and tall maps (1x1027, 1x4600, 4600x1) with random fractional offsets and a mask. */
    public static List<DeformConv2d> wideMaps() {
        return List.of(
                DeformConv2d.parse("op=deform2d n=1 c=1 h=1 w=1027 k=1 kh=1 kw=1 og=1 mask=1"),
                DeformConv2d.parse("op=deform2d n=1 c=1 h=1 w=4600 k=1 kh=1 kw=1 og=1 mask=1"),
                DeformConv2d.parse("op=deform2d n=1 c=1 h=4600 w=1 k=1 kh=1 kw=1 og=1 mask=1"),
                DeformConv2d.parse("op=deform2d n=1 c=2 h=3 w=1600 k=2 kh=3 kw=3 pad=1 og=2 mask=1 bias=1"));
    }

    /**
     * Each of {@link #wideMaps()} through {@code backend}, against {@link #float64}: relative L2 at
     * most {@value #WIDE_MAP_TOLERANCE}. Offsets are uniform in (-3, 3) along the long side and in
     * (-1, 1) across it, so samples hit fractions everywhere and fall off both ends.
     */
    public static void checkWideMaps(String backendName, BiConsumer<Convolution, Args> backend) {
        checkWideMaps(backendName, wideMaps(), backend);
    }

    /** {@link #checkWideMaps(String, BiConsumer)} on some of {@link #wideMaps()}. */
    public static void checkWideMaps(String backendName, List<DeformConv2d> specs, BiConsumer<Convolution, Args> backend) {
        List<String> failures = new ArrayList<>();
        for (DeformConv2d s : specs) {
            Args args = wideArgs(s, 1000 + s.w() + s.h());
            double[] expected = float64(s, args);
            backend.accept(s, args);
            float[] got = Tensors.out(args);
            float[] exp = new float[expected.length];
            for (int i = 0; i < exp.length; i++) {
                exp[i] = (float) expected[i];
            }
            double err = Tensors.relativeL2(exp, got);
            if (!(err <= WIDE_MAP_TOLERANCE)) {
                failures.add(s + ": relative L2 " + err);
            }
        }
        assertEquals(List.of(), failures, backendName + ": wide maps against float64 (bound " + WIDE_MAP_TOLERANCE + ")");
    }

    /** Arguments for a wide-map spec: see {@link #checkWideMaps}. */
    public static Args wideArgs(DeformConv2d s, long seed) {
        Args a = Tensors.args(s, seed, false, 1);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] off = Tensors.array(a, Arg.OFFSET);
        int plane = s.outH() * s.outW();
        boolean wide = s.w() >= s.h();
        for (int ch = 0; ch < off.length / plane; ch++) {
            boolean alongLongSide = (ch % 2 == 1) == wide; // odd channels are dx
            double scale = alongLongSide ? 3 : 1;
            for (int p = 0; p < plane; p++) {
                off[ch * plane + p] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
            }
        }
        assertTrue(Arrays.stream(box(off)).anyMatch(v -> v != Math.rint(v)), "offsets must be fractional");
        return a;
    }

    /**
     * deform2d in float64 from the definition, for finite data: sample point
     * (oy*sh - ph + i*dh + dy, ox*sw - pw + j*dw + dx) with the float offset widened exactly,
     * bilinear with outside neighbours zero, zero unless -1 &lt; y &lt; H and -1 &lt; x &lt; W.
     */
    public static double[] float64(DeformConv2d s, Args a) {
        float[] in = Tensors.array(a, Arg.SRC), wt = Tensors.array(a, Arg.WEIGHTS), off = Tensors.array(a, Arg.OFFSET);
        float[] mask = s.mask() ? Tensors.array(a, Arg.MASK) : null;
        int oh = s.outH(), ow = s.outW(), kk = s.kh() * s.kw(), og = s.offsetGroups(), plane = oh * ow;
        int cg = s.cPerGroup();
        double[] out = new double[(int) s.outputSize()];
        for (int n = 0; n < s.n(); n++) {
            for (int k = 0; k < s.k(); k++) {
                int g = k / s.kPerGroup();
                for (int y = 0; y < oh; y++) {
                    for (int x = 0; x < ow; x++) {
                        double acc = s.bias() ? Tensors.array(a, Arg.BIAS)[k] : 0;
                        for (int cl = 0; cl < cg; cl++) {
                            int c = g * cg + cl, o = c / (s.c() / og);
                            for (int p = 0; p < kk; p++) {
                                int i = p / s.kw(), j = p % s.kw();
                                int at = y * ow + x;
                                double dy = off[((n * og + o) * 2 * kk + 2 * p) * plane + at];
                                double dx = off[((n * og + o) * 2 * kk + 2 * p + 1) * plane + at];
                                double v = bilinear(in, (n * s.c() + c) * s.h() * s.w(), s.h(), s.w(),
                                        (double) y * s.strideH() - s.padTop() + (double) i * s.dilH() + dy,
                                        (double) x * s.strideW() - s.padLeft() + (double) j * s.dilW() + dx);
                                if (mask != null) {
                                    v *= mask[((n * og + o) * kk + p) * plane + at];
                                }
                                acc += v * wt[(k * cg + cl) * kk + p];
                            }
                        }
                        out[((n * s.k() + k) * oh + y) * ow + x] = s.postOps().apply(acc, 0);
                    }
                }
            }
        }
        return out;
    }

    private static double bilinear(float[] in, int base, int h, int w, double y, double x) {
        if (!(y > -1 && y < h && x > -1 && x < w)) {
            return 0;
        }
        int y0 = (int) Math.floor(y), x0 = (int) Math.floor(x);
        double ly = y - y0, lx = x - x0, v = 0;
        for (int dy = 0; dy < 2; dy++) {
            for (int dx = 0; dx < 2; dx++) {
                int yy = y0 + dy, xx = x0 + dx;
                if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                    v += (dy == 0 ? 1 - ly : ly) * (dx == 0 ? 1 - lx : lx) * in[base + yy * w + xx];
                }
            }
        }
        return v;
    }

    /**
     * Null when {@code got} has NaN exactly where {@code expected} has, the same infinities with the
     * same signs, and finite values within 4 units in the last place of the expected value (so a
     * hand-computed zero must be zero); else the first disagreement.
     */
    public static String exactDisagreement(float[] expected, float[] got) {
        if (expected.length != got.length) {
            return "length " + got.length + ", expected " + expected.length;
        }
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], g = got[i];
            boolean ok = Float.isNaN(e) ? Float.isNaN(g)
                    : Float.isInfinite(e) || Float.isInfinite(g) ? e == g
                    : !Float.isNaN(g) && Math.abs((double) e - g) <= 4 * Math.ulp(e);
            if (!ok) {
                return "element " + i + ": expected " + e + " but got " + g;
            }
        }
        return null;
    }

    private static Case of(String name, DeformConv2d s, float[] in, float[] weight, float[] offset, float[] mask,
                           float[] expected) {
        Args a = Args.builder().src(Tensor.of(in, s.inputShape())).offset(Tensor.of(offset, s.offsetShape()))
                .mask(mask == null ? null : Tensor.of(mask, s.maskShape())).weights(Tensor.of(weight, s.weightShape()))
                .dst(Tensors.poisoned(s)).build();
        return new Case(name, s, a, expected);
    }

    /** The offset tensor of a 1x1 kernel with one offset group: the dy plane, then the dx plane. */
    private static float[] offsets(float[] dy, float[] dx) {
        float[] o = Arrays.copyOf(dy, dy.length + dx.length);
        System.arraycopy(dx, 0, o, dy.length, dx.length);
        return o;
    }

    private static String brief(float[] a) {
        return a.length <= 8 ? Arrays.toString(a) : a.length + " values";
    }

    private static Float[] box(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}
