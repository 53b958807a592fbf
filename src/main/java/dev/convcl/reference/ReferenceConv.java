package dev.convcl.reference;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.DeviceTensor;
import dev.convcl.HostTensor;
import dev.convcl.PostOps;
import dev.convcl.Tensor;

/**
 * The reference: plain loops straight from the definition, double accumulation, one thread.
 * Slow by design and simple enough to be checked by reading; the tests, {@code verify} and
 * {@code bench} compare every other path against it.
 *
 * <p>conv2d follows {@code torch.nn.functional.conv2d}; deform2d follows
 * {@code torchvision.ops.deform_conv2d}: sample point y = oy*stride_h - pad_h + i*dil_h + dy
 * (likewise x), bilinear interpolation with each neighbour outside the image counting as zero,
 * the whole sample zero unless -1 &lt; y &lt; H and -1 &lt; x &lt; W, times the mask when there is
 * one. Bias is added to the double sum, then the post-op chain is applied in double
 * ({@link PostOps#apply}), and the result is rounded to float once.
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

    /**
     * Computes {@link Arg#DST} of {@code args} for {@code spec}; arguments are validated first.
     * Host tensors are read directly; device tensors are downloaded (waiting for their work).
     *
     * @throws IllegalArgumentException when a tensor does not match {@code spec}
     */
    public static void run(Convolution spec, Args args) {
        args.validateFor(spec);
        DeformConv2d deform = spec instanceof DeformConv2d d ? d : null;
        double[] out = compute(spec, doubles(args.get(Arg.SRC)), doubles(args.get(Arg.WEIGHTS)),
                spec.bias() ? doubles(args.get(Arg.BIAS)) : null,
                deform != null ? doubles(args.get(Arg.OFFSET)) : null,
                deform != null && deform.mask() ? doubles(args.get(Arg.MASK)) : null,
                spec.postOps().hasSum() ? doubles(args.get(Arg.SUM)) : null);
        store(out, args.get(Arg.DST));
    }

    /**
     * The definition in double precision, unrounded: the output {@code [n, k, outH, outW]} of
     * {@code spec} (post-ops included) from arrays of the argument shapes. {@link #run} rounds it
     * to float once; a float64 evaluation of a whole network chains it without rounding.
     *
     * @param bias   null unless {@code spec.bias()}
     * @param offset null unless deformable
     * @param mask   null unless deformable with a mask
     * @param sum    null unless a post-op sums
     */
    public static double[] compute(Convolution spec, double[] in, double[] wt, double[] bias, double[] offset,
                                   double[] mask, double[] sum) {
        DeformConv2d deform = spec instanceof DeformConv2d d ? d : null;
        double[] off = deform != null ? offset : null;
        PostOps post = spec.postOps();
        int offsetGroups = deform != null ? deform.offsetGroups() : 1;
        double[] out = new double[(int) spec.outputSize()];

        int oh = spec.outH(), ow = spec.outW();
        int cg = spec.cPerGroup(), kg = spec.kPerGroup();
        int kk = spec.kh() * spec.kw();
        int cPerOg = spec.c() / offsetGroups;
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
                                    long by = (long) y * spec.strideH() - spec.padTop() + (long) i * spec.dilH();
                                    long bx = (long) x * spec.strideW() - spec.padLeft() + (long) j * spec.dilW();
                                    double v;
                                    if (off == null) {
                                        v = pixel(in, spec, n, c, by, bx);
                                    } else {
                                        int offCh = og * 2 * kk + 2 * point;
                                        double dy = off[((n * (2 * offsetGroups * kk) + offCh) * oh + y) * ow + x];
                                        double dx = off[((n * (2 * offsetGroups * kk) + offCh + 1) * oh + y) * ow + x];
                                        v = bilinear(in, spec, n, c, by, dy, bx, dx);
                                        if (mask != null) {
                                            v *= mask[((n * (offsetGroups * kk) + og * kk + point) * oh + y) * ow + x];
                                        }
                                    }
                                    acc += wv * v;
                                }
                            }
                        }
                        if (bias != null) {
                            acc += bias[k];
                        }
                        int o = ((n * spec.k() + k) * oh + y) * ow + x;
                        out[o] = post.apply(acc, sum != null ? sum[o] : 0);
                    }
                }
            }
        }
        return out;
    }

    /** The tensor's values in double (device tensors downloaded, waiting for their work). */
    static double[] doubles(Tensor t) {
        float[] f = values(t);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Rounds {@code out} to float once and writes it into {@code dst}. */
    static void store(double[] out, Tensor dst) {
        float[] f = new float[out.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) out[i];
        }
        if (dst instanceof HostTensor h) {
            h.copyFrom(f);
        } else {
            ((DeviceTensor) dst).upload(Tensor.of(f, dst.shape()));
        }
    }

    private static float[] values(Tensor t) {
        return t instanceof HostTensor h ? h.toArray() : ((DeviceTensor) t).toArray();
    }

    /** Input value at integer (y, x), zero outside the image (the zero padding). */
    private static double pixel(double[] in, Convolution s, int n, int c, long y, long x) {
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
    static double bilinear(double[] in, Convolution s, int n, int c, long by, double dy, long bx, double dx) {
        if (Double.isNaN(dy) || Double.isNaN(dx)) {
            return Double.NaN;
        }
        long y0 = by + cells(dy), x0 = bx + cells(dx);
        double ly = dy - Math.floor(dy), lx = dx - Math.floor(dx);
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
    private static long cells(double d) {
        return (long) Math.max(-0x1p40, Math.min(0x1p40, Math.floor(d)));
    }
}
