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
 * the whole sample zero unless -1 &lt; y &lt; H and -1 &lt; x &lt; W (so a non-finite offset
 * samples zero), times the mask when there is one. Bias is added last, then ReLU
 * ({@code x < 0 ? 0 : x}, which keeps NaN as NaN, like {@code torch.relu}).
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
                                    double sy = (double) y * spec.strideH() - spec.padH() + (double) i * spec.dilH();
                                    double sx = (double) x * spec.strideW() - spec.padW() + (double) j * spec.dilW();
                                    double v;
                                    if (off == null) {
                                        v = pixel(in, spec, n, c, (int) sy, (int) sx);
                                    } else {
                                        int offCh = og * 2 * kk + 2 * point;
                                        sy += off[((n * (2 * spec.offsetGroups() * kk) + offCh) * oh + y) * ow + x];
                                        sx += off[((n * (2 * spec.offsetGroups() * kk) + offCh + 1) * oh + y) * ow + x];
                                        v = bilinear(in, spec, n, c, sy, sx);
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
    private static double pixel(float[] in, ConvSpec s, int n, int c, int y, int x) {
        if (y < 0 || y >= s.h() || x < 0 || x >= s.w()) {
            return 0;
        }
        return in[((n * s.c() + c) * s.h() + y) * s.w() + x];
    }

    /** torchvision's bilinear sample: zero unless -1 < y < H and -1 < x < W; outside neighbours are zero. */
    static double bilinear(float[] in, ConvSpec s, int n, int c, double y, double x) {
        if (!(y > -1 && y < s.h() && x > -1 && x < s.w())) {
            return 0;
        }
        int y0 = (int) Math.floor(y), x0 = (int) Math.floor(x);
        double ly = y - y0, lx = x - x0;
        return (1 - ly) * (1 - lx) * pixel(in, s, n, c, y0, x0)
                + (1 - ly) * lx * pixel(in, s, n, c, y0, x0 + 1)
                + ly * (1 - lx) * pixel(in, s, n, c, y0 + 1, x0)
                + ly * lx * pixel(in, s, n, c, y0 + 1, x0 + 1);
    }
}
