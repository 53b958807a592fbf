package dev.convcl.reference;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;

/**
 * The reference: plain loops straight from the definition, double accumulation, one thread.
 * Slow by design and simple enough to be checked by reading; the tests, {@code verify} and
 * {@code bench} compare every other path against it.
 *
 * <p>conv2d follows {@code torch.nn.functional.conv2d}; deform2d follows
 * {@code torchvision.ops.deform_conv2d}: sample point y = oy*stride_h - pad_h + i*dil_h + dy
 * (likewise x), bilinear interpolation with each neighbour outside the image counting as zero,
 * the whole sample zero unless -1 &lt; y &lt; H and -1 &lt; x &lt; W, times the mask when there is
 * one. Bias is added last, then ReLU ({@code x < 0 ? 0 : x}, which keeps NaN as NaN, like
 * {@code torch.relu}).
 *
 * <p>The sample point is taken exactly: its integer cell is the integer base position plus
 * floor(dy), in 64-bit integers, and its fraction is dy - floor(dy), so no bits of the offset are
 * lost however far from the origin the base lies, and the inside test is exact. A NaN offset (dy
 * or dx) makes the sample NaN, so every output that uses it is NaN (also when the other
 * coordinate is infinite); an infinite offset puts the point outside the image: a zero sample.
 *
 * <p>Non-finite values follow IEEE arithmetic with zero padding as values: a padding tap (and a
 * sample outside the image) is a zero that is multiplied by its weight like any input, so a NaN or
 * infinite weight gives NaN at border outputs too ({@code 0 * inf = NaN}), exactly as padding the
 * input explicitly and convolving without padding would. PyTorch does not promise either way (its
 * backends differ); every convcl backend follows this reference, and the non-finite tests hold them
 * to it.
 */
public final class ReferenceConv {
    private ReferenceConv() {
    }

    /** Computes {@code args.output()} for {@code spec}; arguments are validated first. */
    public static void run(ConvSpec spec, ConvArgs args) {
        args.validateFor(spec);
        float[] in = args.input().toArray();
        float[] wt = args.weight().toArray();
        float[] bias = spec.bias() ? args.bias().toArray() : null;
        float[] off = spec.isDeformable() ? args.offset().toArray() : null;
        float[] mask = spec.mask() ? args.mask().toArray() : null;
        float[] out = new float[(int) spec.outputSize()];

        int oh = spec.outH(), ow = spec.outW();
        int cg = spec.cPerGroup(), kg = spec.kPerGroup();
        int kk = spec.kh() * spec.kw();
        int cPerOg = spec.c() / spec.offsetGroups();
        for (int n = 0; n < spec.n(); n++) {
            for (int k = 0; k < spec.k(); k++) {
                int g = k / kg;
                for (int y = 0; y < oh; y++) {
                    for (int x = 0; x < ow; x++) {
                        double acc = 0;
                        for (int cl = 0; cl < cg; cl++) {
                            int c = g * cg + cl;
                            int og = c / cPerOg;
                            for (int i = 0; i < spec.kh(); i++) {
                                for (int j = 0; j < spec.kw(); j++) {
                                    double wv = wt[((k * cg + cl) * spec.kh() + i) * spec.kw() + j];
                                    int point = i * spec.kw() + j;
                                    long by = (long) y * spec.strideH() - spec.padH() + (long) i * spec.dilH();
                                    long bx = (long) x * spec.strideW() - spec.padW() + (long) j * spec.dilW();
                                    double v;
                                    if (off == null) {
                                        v = pixel(in, spec, n, c, by, bx);
                                    } else {
                                        int offCh = og * 2 * kk + 2 * point;
                                        float dy = off[((n * (2 * spec.offsetGroups() * kk) + offCh) * oh + y) * ow + x];
                                        float dx = off[((n * (2 * spec.offsetGroups() * kk) + offCh + 1) * oh + y) * ow + x];
                                        v = bilinear(in, spec, n, c, by, dy, bx, dx);
                                        if (mask != null) {
                                            v *= mask[((n * (spec.offsetGroups() * kk) + og * kk + point) * oh + y) * ow + x];
                                        }
                                    }
                                    acc += wv * v;
                                }
                            }
                        }
                        if (bias != null) {
                            acc += bias[k];
                        }
                        float r = (float) acc;
                        if (spec.relu() && r < 0) {
                            r = 0f;
                        }
                        out[((n * spec.k() + k) * oh + y) * ow + x] = r;
                    }
                }
            }
        }
        args.output().copyFrom(out);
    }

    /** Input value at integer (y, x), zero outside the image (the zero padding). */
    private static double pixel(float[] in, ConvSpec s, int n, int c, long y, long x) {
        if (y < 0 || y >= s.h() || x < 0 || x >= s.w()) {
            return 0;
        }
        return in[((n * s.c() + c) * s.h() + (int) y) * s.w() + (int) x];
    }

    /**
     * torchvision's bilinear sample at (by + dy, bx + dx): NaN when dy or dx is NaN; zero unless
     * -1 &lt; y &lt; H and -1 &lt; x &lt; W (an infinite offset is outside); neighbours outside
     * the image are zero.
     */
    static double bilinear(float[] in, ConvSpec s, int n, int c, long by, float dy, long bx, float dx) {
        if (Float.isNaN(dy) || Float.isNaN(dx)) {
            return Double.NaN;
        }
        long y0 = by + cells(dy), x0 = bx + cells(dx);
        double ly = (double) dy - Math.floor(dy), lx = (double) dx - Math.floor(dx);
        // -1 < y0 + ly < H, with 0 <= ly <= 1 (ly is NaN only for an infinite dy, whose y0 is far out).
        boolean inside = y0 >= -1 && y0 < s.h() && (y0 >= 0 || ly > 0) && x0 >= -1 && x0 < s.w() && (x0 >= 0 || lx > 0);
        if (!inside) {
            return 0;
        }
        return (1 - ly) * (1 - lx) * pixel(in, s, n, c, y0, x0)
                + (1 - ly) * lx * pixel(in, s, n, c, y0, x0 + 1)
                + ly * (1 - lx) * pixel(in, s, n, c, y0 + 1, x0)
                + ly * lx * pixel(in, s, n, c, y0 + 1, x0 + 1);
    }

    /** floor(d) as a whole number of cells, clamped to +-2^40: past that, outside any image. */
    private static long cells(float d) {
        return (long) Math.max(-0x1p40, Math.min(0x1p40, Math.floor(d)));
    }
}
