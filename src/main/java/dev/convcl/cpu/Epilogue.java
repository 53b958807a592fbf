package dev.convcl.cpu;

import dev.convcl.Activation;
import dev.convcl.PostOp;
import dev.convcl.PostOps;
import dev.convcl.Sum;

/**
 * The CPU path's one implementation of an operation's epilogue: bias, then the post-op chain, on
 * runs of consecutive output values of one channel. Each step is a loop over one array, so C2
 * vectorises the simple ones. Activations follow {@link Activation}'s definitions in float
 * arithmetic (the transcendental ones through double), keeping NaN as NaN.
 *
 * <p>The piecewise ones (relu, clip, leaky relu, hardsigmoid, hardswish) are written with
 * {@link Math#max}/{@link Math#min} (hardswish in {@link Kernels#hardswishStore}, Vector API lanes
 * where the kernels have them), not with the definitions' comparisons: a comparison per value is a branch, taken at random on activations of either sign,
 * and measured 8-10 ns a value against 0.07-0.1 (1M floats, JDK 17, AVX-512); it was 47% of the CPU
 * path's MobileNetV2 (JFR). Both forms keep NaN; they differ only on a negative zero, which comes out
 * as +0 where the definition (and PyTorch 1.13) keeps -0; the two compare equal.
 */
final class Epilogue {
    private final boolean bias;
    private final PostOp[] steps;
    private final boolean hasSum;
    /** The backend's kernels, for the activations that have a vector form (GELU, hardswish). */
    private final Kernels kernels;

    /**
     * The chains {@link #store} finishes in one pass over the copied values: nothing, relu, clip
     * (relu6), a sum of scale 1, a sum of scale 1 then relu (a residual block's end); and
     * hardswish, in one pass from the tile with no copy ({@link Kernels#hardswishStore}). Others
     * run their steps one pass each.
     */
    private enum Fused { NONE, RELU, CLIP, HARDSWISH, SUM, SUM_RELU, STEPS }

    private final Fused fused;
    /** CLIP's bounds. */
    private final float lo, hi;

    Epilogue(boolean bias, PostOps postOps, Kernels kernels) {
        this.kernels = kernels;
        this.bias = bias;
        this.steps = postOps.ops().toArray(new PostOp[0]);
        this.hasSum = postOps.hasSum();
        this.fused = fused(steps);
        Activation clip = fused == Fused.CLIP ? (Activation) steps[0] : null;
        this.lo = clip == null ? 0f : clip.alpha();
        this.hi = clip == null ? 0f : clip.beta();
    }

    private static Fused fused(PostOp[] steps) {
        boolean unitSum = steps.length > 0 && steps[0] instanceof Sum s && s.scale() == 1f;
        Activation.Kind last = steps.length > 0 && steps[steps.length - 1] instanceof Activation a ? a.kind() : null;
        if (steps.length == 0) {
            return Fused.NONE;
        } else if (steps.length == 1 && last == Activation.Kind.RELU) {
            return Fused.RELU;
        } else if (steps.length == 1 && last == Activation.Kind.CLIP) {
            return Fused.CLIP;
        } else if (steps.length == 1 && last == Activation.Kind.HARDSWISH) {
            return Fused.HARDSWISH;
        } else if (steps.length == 1 && unitSum) {
            return Fused.SUM;
        } else if (steps.length == 2 && unitSum && last == Activation.Kind.RELU) {
            return Fused.SUM_RELU;
        }
        return Fused.STEPS;
    }

    /**
     * Writes {@code out[dst .. dst+len)}: the values {@code src[srcOff ..]} plus {@code b} where
     * {@code addBias} (a channel's bias; false for values that hold it already), then the post-op
     * chain, {@code sum} read at the output's indices (ignored without a sum step; a separate
     * array, as {@code Args} requires of an output and its inputs). The same float operations in
     * the same order as a copy followed by {@link #apply}, so the same bits; the common chains
     * ({@link Fused}) take one pass over the copied values instead of a pass a step (the separate
     * passes over a residual block's output, add the sum then relu, were a tenth of the CPU path's
     * ResNet-18, JFR). The copy stays a copy: a loop reading one array at another index than it
     * writes is not vectorised by C2 (the arrays may be one), and was 1.4x slower than copy then pass
     * on a 1x1 conv's large output. Hardswish alone takes no copy: the kernels'
     * {@link Kernels#hardswishStore} reads the tile and writes the output in one pass, with the
     * Vector API where the kernels have it (C2's hardswish loop was 15.5% of MobileNetV3-small's
     * CPU samples at batch 8; in vectors, 5.7%). The same for relu and clip measured slower than
     * C2's loops after the copy (a 1x1 with relu6 0.52-0.54 -> 0.68-1.19 ms), so they stay loops.
     */
    void store(float[] src, int srcOff, float[] out, int dst, int len, boolean addBias, float b, float[] sum) {
        if (fused == Fused.HARDSWISH) {
            // one pass from the tile into the output, in the kernels' vectors
            kernels.hardswishStore(src, srcOff, out, dst, len, addBias, b);
            return;
        }
        System.arraycopy(src, srcOff, out, dst, len);
        int end = dst + len;
        switch (fused) {
            case NONE -> {
                if (addBias) {
                    addConstant(out, dst, end, b);
                }
            }
            case RELU -> {
                for (int i = dst; i < end; i++) {
                    out[i] = Math.max(addBias ? out[i] + b : out[i], 0f);
                }
            }
            case CLIP -> {
                float lo = this.lo, hi = this.hi;
                for (int i = dst; i < end; i++) {
                    out[i] = Math.min(Math.max(addBias ? out[i] + b : out[i], lo), hi);
                }
            }
            case SUM -> {
                for (int i = dst; i < end; i++) {
                    out[i] = (addBias ? out[i] + b : out[i]) + sum[i];
                }
            }
            case SUM_RELU -> {
                for (int i = dst; i < end; i++) {
                    out[i] = Math.max((addBias ? out[i] + b : out[i]) + sum[i], 0f);
                }
            }
            case STEPS -> {
                if (addBias) {
                    addConstant(out, dst, end, b);
                }
                applyPostOps(out, dst, len, sum);
            }
        }
    }

    /** Adds {@code b} to {@code a[from .. to)}: a channel's bias. */
    private static void addConstant(float[] a, int from, int to, float b) {
        for (int i = from; i < to; i++) {
            a[i] += b;
        }
    }

    /** Whether the epilogue reads a sum tensor. */
    boolean hasSum() {
        return hasSum;
    }

    /**
     * Whether a tile's post-ops are best run in place over its whole rows, before the rows' runs
     * are copied out ({@code ImplicitGemmConv}), rather than run by run as {@link #store} stores
     * them: the chains it runs a step at a time, and hardswish, whose vector pass wants rows
     * longer than an output row (7 on a 7x7 map, under one vector). Not with a sum, which is read
     * at the output's indices.
     */
    boolean postOpsOnWholeRows() {
        return steps.length > 0 && !hasSum && (fused == Fused.STEPS || fused == Fused.HARDSWISH);
    }

    /**
     * This epilogue as a {@link DirectStore} a GEMM finishes in its registers, with the call's
     * {@code biasValues} (ignored without a bias) and {@code sum} (ignored without a sum step); null
     * for a chain it does not cover (several steps other than a sum then relu, a scaled sum, any
     * other activation).
     */
    DirectStore direct(float[] biasValues, float[] sum) {
        int mode = switch (fused) {
            case NONE -> DirectStore.NONE;
            case RELU -> DirectStore.RELU;
            case CLIP -> DirectStore.CLIP;
            case SUM -> DirectStore.SUM;
            case SUM_RELU -> DirectStore.SUM_RELU;
            case HARDSWISH -> DirectStore.HARDSWISH;
            case STEPS -> -1;
        };
        return mode < 0 ? null : new DirectStore(bias ? biasValues : null, mode, lo, hi, hasSum ? sum : null);
    }

    /** Whether {@link #direct} finishes this epilogue in a GEMM's registers (not null). */
    boolean finishesInRegisters() {
        return fused != Fused.STEPS;
    }

    /** Whether the epilogue adds a bias. */
    boolean hasBias() {
        return bias;
    }

    /** Whether there is nothing to do (no bias, no post-ops). */
    boolean isEmpty() {
        return !bias && steps.length == 0;
    }

    /**
     * Applies the epilogue in place to {@code out[off .. off+len)}, the values of output channel
     * {@code k}; {@code biasValues} is the bias tensor (ignored without bias), {@code sum} the sum
     * tensor, read at the same indices as {@code out} (ignored without a sum step).
     */
    void apply(float[] out, int off, int len, int k, float[] biasValues, float[] sum) {
        if (fused == Fused.HARDSWISH) {
            // the bias and the activation in one pass, in place
            store(out, off, out, off, len, bias, bias ? biasValues[k] : 0f, sum);
            return;
        }
        if (bias) {
            addConstant(out, off, off + len, biasValues[k]);
        }
        applyPostOps(out, off, len, sum);
    }

    /** Whether there are post-ops (besides the bias). */
    boolean hasPostOps() {
        return steps.length > 0;
    }

    /**
     * Applies the post-op chain alone, in place, to {@code out[off .. off+len)}: values that
     * already hold their bias. {@code sum} is read at the same indices as {@code out} (ignored
     * without a sum step).
     */
    void applyPostOps(float[] out, int off, int len, float[] sum) {
        for (PostOp step : steps) {
            if (step instanceof Sum s) {
                addScaled(out, off, len, sum, s.scale());
            } else {
                activate(out, off, len, (Activation) step);
            }
        }
    }

    private static void addScaled(float[] out, int off, int len, float[] sum, float scale) {
        if (scale == 1f) {
            for (int i = 0; i < len; i++) {
                out[off + i] += sum[off + i];
            }
        } else {
            for (int i = 0; i < len; i++) {
                out[off + i] += scale * sum[off + i];
            }
        }
    }

    private void activate(float[] a, int off, int len, Activation act) {
        float alpha = act.alpha(), beta = act.beta();
        switch (act.kind()) {
            case RELU -> {
                for (int i = off; i < off + len; i++) {
                    a[i] = Math.max(a[i], 0f);
                }
            }
            case CLIP -> {
                for (int i = off; i < off + len; i++) {
                    a[i] = Math.min(Math.max(a[i], alpha), beta);
                }
            }
            case LEAKY_RELU -> {
                // alpha * x below 0, x above: one of the two terms is a zero (alpha is finite).
                for (int i = off; i < off + len; i++) {
                    float v = a[i];
                    a[i] = Math.max(v, 0f) + alpha * Math.min(v, 0f);
                }
            }
            case SIGMOID -> {
                for (int i = off; i < off + len; i++) {
                    a[i] = (float) (1 / (1 + Math.exp(-a[i])));
                }
            }
            case SILU -> {
                for (int i = off; i < off + len; i++) {
                    double v = a[i];
                    a[i] = (float) (v / (1 + Math.exp(-v)));
                }
            }
            case GELU -> {
                kernels.gelu(a, off, len);
            }
            case HARDSIGMOID -> {
                for (int i = off; i < off + len; i++) {
                    a[i] = Math.min(Math.max(alpha * a[i] + beta, 0f), 1f);
                }
            }
            case HARDSWISH -> kernels.hardswishStore(a, off, a, off, len, false, 0f);
        }
    }

    /** Below this |x| / sqrt(2), {@link #gelu} takes erf from its odd polynomial; above, erfc from exp. */
    private static final double GELU_SPLIT = 0.84375;
    /** From this |x| / sqrt(2) on, erfc is below 2.1e-45 (under the smallest float) and erf is +-1. */
    private static final double GELU_TOP = 10;

    /**
     * GELU, {@code 0.5 * x * (1 + erf(x / sqrt(2)))}, to about 1e-9 relative (the result is then
     * rounded to float): with {@code z = |x| / sqrt(2)}, {@code erf(z) = z * P(z^2)} below 0.84375 and
     * {@code erfc(z) = exp(-z^2) * R(1 / (1 + z/2))} above, {@code 1 + erf(x / sqrt(2))} being
     * {@code 2 - erfc(z)} for positive x and {@code erfc(z)} itself for negative x (no cancellation
     * on the negative side, where GELU's values are small). Coefficients fitted by
     * {@code scripts/fit/erf_gelu.py} (least squares on the relative error). {@link Activation#erf}'s
     * series, the reference, takes up to ~100 terms a value: 22 ms of a 33 ms RepLKNet stage on this
     * path (its FFN's 1x1 conv of 128 -> 512 channels on 28x28), against 0.6 ms for the conv.
     * Non-finite inputs follow the definition: NaN and -inf give NaN, +inf gives +inf.
     */
    static double gelu(double x) {
        double z = Math.abs(x) * 0.7071067811865476;
        if (z < GELU_SPLIT) {
            double s = z * z;
            double erf = z * (1.1283791670371157 + s * (-0.37612637479232647 + s * (0.11283755848394186
                    + s * (-0.02686297590445423 + s * (0.005210609136710925 + s * (-0.0008260604892272941
                    + s * 8.91320968515047e-05))))));
            return 0.5 * x * (x < 0 ? 1 - erf : 1 + erf);
        }
        if (!(z < GELU_TOP)) {
            // erf is +-1: x itself above 0; below, 0.5 * x * 0 (-0, or NaN for -inf as in the definition); NaN stays NaN.
            return x > 0 ? x : 0.5 * x * 0.0;
        }
        double t = 1 / (1 + 0.5 * z);
        double erfc = Math.exp(-z * z) * (1.0043125690215875e-06 + t * (0.28206230543226596
                + t * (0.28255459493775437 + t * (0.243098869533809 + t * (0.1954278770932846
                + t * (0.020291331640363314 + t * (0.12860901701456973 + t * (-0.21062800536150972
                + t * (-0.01729381455213135 + t * (0.12158013282110919 + t * -0.045799889303440866))))))))));
        return 0.5 * x * (x > 0 ? 2 - erfc : erfc);
    }
}
