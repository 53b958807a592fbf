package dev.convcl.cli;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.RoiAlign;
import dev.convcl.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Seeded random tensors for a spec, and the accuracy measure the commands check with. */
final class ProblemData {
    /** Results whose relative L2 error to the reference or the CPU path exceeds this fail. */
    static final double TOLERANCE = 1e-4;
    /** Offsets span a few pixels, so samples fall between pixels and off the image's edges. */
    private static final double OFFSET_PIXELS = 2.5;

    private ProblemData() {
    }

    /**
     * Inputs, weights, bias and a summed tensor uniform in [-1, 1), offsets uniform in [-2.5, 2.5)
     * pixels, a mask in [0, 1), and an output full of NaN so that an element a backend does not
     * write shows.
     */
    static Args random(Convolution spec, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Args.Builder b = Args.builder();
        b.src(Tensor.of(uniform(rnd, spec.inputSize(), -1, 1), spec.inputShape()));
        b.weights(Tensor.of(uniform(rnd, spec.weightSize(), -1, 1), spec.weightShape()));
        if (spec.bias()) {
            b.bias(Tensor.of(uniform(rnd, spec.k(), -1, 1), spec.biasShape()));
        }
        if (spec instanceof DeformConv2d d) {
            b.offset(Tensor.of(uniform(rnd, d.offsetSize(), -OFFSET_PIXELS, OFFSET_PIXELS), d.offsetShape()));
            if (d.mask()) {
                b.mask(Tensor.of(uniform(rnd, d.maskSize(), 0, 1), d.maskShape()));
            }
        }
        if (spec.postOps().hasSum()) {
            b.sum(Tensor.of(uniform(rnd, spec.outputSize(), -1, 1), spec.outputShape()));
        }
        return b.dst(poisoned(spec)).build();
    }

    /** The smallest RoI side, image pixels. */
    static final double MIN_BOX = 16;
    /** The largest RoI side, as a share of the image's side. */
    static final double MAX_BOX_SHARE = 0.6;

    /**
     * An RoI problem's tensors: the input uniform in [-1, 1); RoIs as a detector's proposals, each
     * inside the image of {@code h / scale x w / scale} pixels, with sides log-uniform from
     * {@value #MIN_BOX} px to {@value #MAX_BOX_SHARE} of the image's side and a batch index
     * uniform in {@code [0, n)} ({@link #box}); offsets uniform in [-1, 1) (scaled by gamma and the RoI's size);
     * a mask in [0, 1); and an output full of NaN.
     */
    static Args random(RoiAlign op, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Args.Builder b = Args.builder();
        b.src(Tensor.of(uniform(rnd, (long) op.n() * op.c() * op.h() * op.w(), -1, 1), op.n(), op.c(), op.h(), op.w()));
        b.rois(Tensor.of(drawRois(rnd, op), op.rois(), 5));
        int bins = op.outH() * op.outW();
        if (op.offset()) {
            b.offset(Tensor.of(uniform(rnd, (long) op.rois() * 2 * bins, -1, 1), op.rois(), 2, op.outH(), op.outW()));
        }
        if (op.mask()) {
            b.mask(Tensor.of(uniform(rnd, (long) op.rois() * bins, 0, 1), op.rois(), 1, op.outH(), op.outW()));
        }
        float[] y = new float[op.rois() * op.outC() * bins];
        Arrays.fill(y, Float.NaN);
        return b.dst(Tensor.of(y, op.outputShape())).build();
    }

    /**
     * The RoIs {@link #random(RoiAlign, long)} draws for {@code op} and {@code seed}, without the
     * input's values (their draws are made and dropped): what {@code bench} counts a line's work
     * on before any line runs.
     */
    static float[] rois(RoiAlign op, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = (long) op.n() * op.c() * op.h() * op.w(); i > 0; i--) {
            rnd.nextDouble(-1, 1); // as uniform() draws the input
        }
        return drawRois(rnd, op);
    }

    /** {@code op.rois()} rows drawn from {@code rnd} as {@link #random(RoiAlign, long)} says. */
    private static float[] drawRois(SplittableRandom rnd, RoiAlign op) {
        double imageH = op.h() / (double) op.spatialScale(), imageW = op.w() / (double) op.spatialScale();
        float[] rois = new float[op.rois() * 5];
        for (int k = 0; k < op.rois(); k++) {
            rois[k * 5] = rnd.nextInt(op.n());
            double bw = box(rnd, imageW), bh = box(rnd, imageH);
            double x1 = rnd.nextDouble() * (imageW - bw), y1 = rnd.nextDouble() * (imageH - bh);
            rois[k * 5 + 1] = (float) x1;
            rois[k * 5 + 2] = (float) y1;
            rois[k * 5 + 3] = (float) (x1 + bw);
            rois[k * 5 + 4] = (float) (y1 + bh);
        }
        return rois;
    }

    /**
     * Why bench cannot draw RoIs for {@code op} ({@link #random}): they are drawn in image
     * coordinates, {@code h / scale} by {@code w / scale} pixels, which a float must hold; null
     * when it can. {@code run --op} takes the user's own RoIs and has no such bound.
     *
     * @param scaleTyped the scale as the line gives it ({@code 1e-40}), for the message; null for
     *                   the operator's own ({@code 1.0E-40})
     */
    static String imageProblem(RoiAlign op, String scaleTyped) {
        double side = Math.max(op.h(), op.w()) / (double) op.spatialScale();
        if (side <= Float.MAX_VALUE) {
            return null;
        }
        return String.format(java.util.Locale.ROOT, "its scale, %s, puts the image at %.3g pixels a side (%d / scale); bench "
                + "draws its RoIs in image coordinates, which a float holds up to %.3g: give a scale of at least %.3g",
                scaleTyped != null ? scaleTyped : Float.toString(op.spatialScale()), side, Math.max(op.h(), op.w()), (double) Float.MAX_VALUE,
                Math.nextUp(Math.max(op.h(), op.w()) / (double) Float.MAX_VALUE));
    }

    /**
     * A side log-uniform in [MIN_BOX, MAX_BOX_SHARE * side]; on an image too small for that, in
     * [side / 4, side / 2], so that sides never repeat one value.
     */
    private static double box(SplittableRandom rnd, double side) {
        double lo = Math.min(MIN_BOX, side / 4);
        double hi = Math.max(Math.min(2 * lo, side), MAX_BOX_SHARE * side);
        return Math.exp(rnd.nextDouble(Math.log(lo), Math.log(hi)));
    }

    /** The same inputs with a new NaN-filled output. */
    static Args freshOutput(Args a, Convolution spec) {
        return a.with(Arg.DST, poisoned(spec));
    }

    /** The same inputs with a new NaN-filled output shaped as theirs. */
    static Args freshOutput(Args a) {
        int[] shape = a.get(Arg.DST).shape();
        float[] o = new float[(int) Arrays.stream(shape).asLongStream().reduce(1, (x, y) -> x * y)];
        Arrays.fill(o, Float.NaN);
        return a.with(Arg.DST, Tensor.of(o, shape));
    }

    static HostTensor poisoned(Convolution spec) {
        float[] o = new float[(int) spec.outputSize()];
        Arrays.fill(o, Float.NaN);
        return Tensor.of(o, spec.outputShape());
    }

    private static float[] uniform(SplittableRandom rnd, long size, double lo, double hi) {
        float[] a = new float[(int) size];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextDouble(lo, hi);
        }
        return a;
    }

    /**
     * ||ref - out||_2 / ||ref||_2 (the absolute norm when ref is all zero); infinite when an
     * element is NaN in one but not the other, so an unwritten (poisoned) element always fails.
     */
    static double relativeL2(HostTensor ref, HostTensor out) {
        return dev.convcl.reference.Accuracy.relativeL2(ref.toArray(), out.toArray());
    }

    /** The output of {@code args}, a host tensor in the CLI. */
    static HostTensor output(Args args) {
        return (HostTensor) args.get(Arg.DST);
    }
}
