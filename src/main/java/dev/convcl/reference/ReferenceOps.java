package dev.convcl.reference;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Binary;
import dev.convcl.ChannelAffine;
import dev.convcl.ChannelCopy;
import dev.convcl.ChannelShuffle;
import dev.convcl.Convolution;
import dev.convcl.DeviceTensor;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Pad2d;
import dev.convcl.Pool2d;
import dev.convcl.PostOps;
import dev.convcl.RoiAlign;
import dev.convcl.SqueezeExcitation;
import dev.convcl.Window2d;

/**
 * The reference of every operation: plain loops from the definitions (PyTorch's semantics, as each
 * descriptor documents), in double precision, one thread. {@link #run} computes a call's output
 * and rounds it to float once; the {@code double[]} methods are the unrounded definitions that a
 * float64 evaluation of a whole network chains. Convolutions are {@link ReferenceConv}'s.
 */
public final class ReferenceOps {
    private ReferenceOps() {
    }

    /**
     * Computes {@link Arg#DST} of {@code args} for {@code op}; arguments are validated first. Host
     * tensors are read directly, device tensors downloaded. For {@link ChannelCopy}, the channels
     * outside the copied range keep the destination's values.
     *
     * @throws IllegalArgumentException when a tensor does not match {@code op}
     */
    public static void run(Operation op, Args args) {
        if (op instanceof Convolution c) {
            ReferenceConv.run(c, args);
            return;
        }
        args.validateFor(op);
        double[] out;
        if (op instanceof ChannelAffine a) {
            out = channelAffine(a, in(args, Arg.SRC), in(args, Arg.SCALE), in(args, Arg.SHIFT),
                    a.postOps().hasSum() ? in(args, Arg.SUM) : null);
        } else if (op instanceof Binary b) {
            out = binary(b, in(args, Arg.SRC), in(args, Arg.OTHER), b.postOps().hasSum() ? in(args, Arg.SUM) : null);
        } else if (op instanceof Pool2d p) {
            out = pool2d(p, in(args, Arg.SRC));
        } else if (op instanceof ChannelCopy c) {
            out = in(args, Arg.DST);
            channelCopy(c, in(args, Arg.SRC), out);
        } else if (op instanceof ChannelShuffle s) {
            out = channelShuffle(s, in(args, Arg.SRC));
        } else if (op instanceof Pad2d p) {
            out = pad2d(p, in(args, Arg.SRC));
        } else if (op instanceof SqueezeExcitation se) {
            out = squeezeExcitation(se, in(args, Arg.SRC), in(args, Arg.WEIGHTS), in(args, Arg.BIAS),
                    in(args, Arg.FC2_WEIGHTS), in(args, Arg.FC2_BIAS));
        } else if (op instanceof RoiAlign r) {
            double[] rois = in(args, Arg.ROIS);
            float[] check = new float[rois.length];
            for (int i = 0; i < rois.length; i++) {
                check[i] = (float) rois[i];
            }
            r.checkRois(check);
            out = ReferenceRoi.run(r, in(args, Arg.SRC), rois, r.offset() ? in(args, Arg.OFFSET) : null,
                    r.mask() ? in(args, Arg.MASK) : null);
        } else {
            throw new IllegalStateException("no reference for " + op);
        }
        ReferenceConv.store(out, args.get(Arg.DST));
    }

    private static double[] in(Args args, Arg role) {
        return ReferenceConv.doubles(args.get(role));
    }

    /** {@code post(x * scale[c] + shift[c])}. */
    public static double[] channelAffine(ChannelAffine op, double[] x, double[] scale, double[] shift, double[] sum) {
        double[] y = new double[x.length];
        int plane = op.h() * op.w();
        PostOps post = op.postOps();
        for (int i = 0; i < x.length; i++) {
            int c = (i / plane) % op.c();
            y[i] = post.apply(x[i] * scale[c] + shift[c], sum != null ? sum[i] : 0);
        }
        return y;
    }

    /**
     * The scale of a squeeze-and-excitation block, {@code [n, c]} as {@link SqueezeExcitation}
     * defines it: the plane's mean, then the two layers with their activations; with
     * {@link SqueezeExcitation#apply()} the block's output {@code [n, c, h, w]}, the input times it.
     */
    public static double[] squeezeExcitation(SqueezeExcitation op, double[] x, double[] w1, double[] b1, double[] w2,
            double[] b2) {
        int c = op.c(), s = op.squeeze(), plane = op.h() * op.w();
        double[] y = new double[op.n() * c];
        double[] p = new double[c], z = new double[s];
        for (int n = 0; n < op.n(); n++) {
            for (int ch = 0; ch < c; ch++) {
                double sum = 0;
                for (int i = 0; i < plane; i++) {
                    sum += x[(n * c + ch) * plane + i];
                }
                p[ch] = sum / plane;
            }
            for (int j = 0; j < s; j++) {
                double acc = b1[j];
                for (int ch = 0; ch < c; ch++) {
                    acc += w1[j * c + ch] * p[ch];
                }
                z[j] = op.activation().apply(acc, 0);
            }
            for (int k = 0; k < c; k++) {
                double acc = b2[k];
                for (int j = 0; j < s; j++) {
                    acc += w2[k * s + j] * z[j];
                }
                y[n * c + k] = op.scaleActivation().apply(acc, 0);
            }
        }
        if (!op.apply()) {
            return y;
        }
        // the block's output: the scale rounded to float (as the backends and PyTorch keep it) times the input
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * (float) y[i / plane];
        }
        return out;
    }

    /** {@code post(a op b)} with NumPy broadcasting. */
    public static double[] binary(Binary op, double[] a, double[] b, double[] sum) {
        int[] out = op.outputShape();
        int rank = out.length;
        long[] sa = broadcastStrides(op.a(), rank), sb = broadcastStrides(op.b(), rank);
        double[] y = new double[(int) op.outputSize()];
        int[] idx = new int[rank];
        PostOps post = op.postOps();
        for (int i = 0; i < y.length; i++) {
            int rest = i;
            long ia = 0, ib = 0;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rest % out[d];
                rest /= out[d];
                ia += idx[d] * sa[d];
                ib += idx[d] * sb[d];
            }
            y[i] = post.apply(op.kind().apply(a[(int) ia], b[(int) ib]), sum != null ? sum[i] : 0);
        }
        return y;
    }

    /** Row-major strides of {@code shape} aligned right to {@code rank} dimensions, 0 where the dimension is broadcast. */
    static long[] broadcastStrides(int[] shape, int rank) {
        long[] s = new long[rank];
        long stride = 1;
        for (int i = 1; i <= rank; i++) {
            int d = i <= shape.length ? shape[shape.length - i] : 1;
            s[rank - i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return s;
    }

    /** Max or average pooling as {@link Pool2d} defines it. */
    public static double[] pool2d(Pool2d op, double[] x) {
        Window2d win = op.window();
        int oh = op.outH(), ow = op.outW(), h = op.h(), w = op.w();
        double[] y = new double[op.n() * op.c() * oh * ow];
        for (int p = 0; p < op.n() * op.c(); p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    long y0 = (long) oy * win.strideH() - win.padTop();
                    long x0 = (long) ox * win.strideW() - win.padLeft();
                    double v;
                    if (op.kind() == Pool2d.Kind.MAX) {
                        v = Double.NEGATIVE_INFINITY;
                        for (int i = 0; i < win.kh(); i++) {
                            for (int j = 0; j < win.kw(); j++) {
                                long yy = y0 + (long) i * win.dilH(), xx = x0 + (long) j * win.dilW();
                                if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                    double t = x[(int) ((p * (long) h + yy) * w + xx)];
                                    if (t > v || Double.isNaN(t)) {
                                        v = t;
                                    }
                                }
                            }
                        }
                    } else {
                        double s = 0;
                        int inside = 0;
                        for (int i = 0; i < win.kh(); i++) {
                            for (int j = 0; j < win.kw(); j++) {
                                long yy = y0 + i, xx = x0 + j;
                                if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                    s += x[(int) ((p * (long) h + yy) * w + xx)];
                                    inside++;
                                }
                            }
                        }
                        long rows = Math.min(y0 + win.kh(), (long) h + win.padBottom()) - y0;
                        long cols = Math.min(x0 + win.kw(), (long) w + win.padRight()) - x0;
                        v = s / (op.countIncludePad() ? rows * cols : inside);
                    }
                    y[(p * oh + oy) * ow + ox] = v;
                }
            }
        }
        return y;
    }

    /**
     * Copies the channel range of {@code src} into {@code dst} (in place), channel {@code i} to
     * {@code dstStart + i * dstStep}; other channels untouched.
     */
    public static void channelCopy(ChannelCopy op, double[] src, double[] dst) {
        int plane = op.h() * op.w();
        for (int n = 0; n < op.n(); n++) {
            for (int i = 0; i < op.count(); i++) {
                System.arraycopy(src, (n * op.srcChannels() + op.srcStart() + i) * plane, dst,
                        (n * op.dstChannels() + op.dstStart() + i * op.dstStep()) * plane, plane);
            }
        }
    }

    /** Output channel {@code o} is input channel {@link ChannelShuffle#sourceChannel}{@code (o)}. */
    public static double[] channelShuffle(ChannelShuffle op, double[] x) {
        int plane = op.h() * op.w();
        double[] y = new double[x.length];
        for (int n = 0; n < op.n(); n++) {
            for (int o = 0; o < op.c(); o++) {
                System.arraycopy(x, (n * op.c() + op.sourceChannel(o)) * plane, y, (n * op.c() + o) * plane, plane);
            }
        }
        return y;
    }

    /** The input in the interior of a plane of {@code value}. */
    public static double[] pad2d(Pad2d op, double[] x) {
        int oh = op.outH(), ow = op.outW();
        double[] y = new double[op.n() * op.c() * oh * ow];
        java.util.Arrays.fill(y, op.value());
        for (int p = 0; p < op.n() * op.c(); p++) {
            for (int i = 0; i < op.h(); i++) {
                System.arraycopy(x, (p * op.h() + i) * op.w(), y, (p * oh + op.top() + i) * ow + op.left(), op.w());
            }
        }
        return y;
    }
}
