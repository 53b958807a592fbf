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
 * {@link Math#max}/{@link Math#min}, which C2 turns into vector max/min, not with the definitions'
 * comparisons: a comparison per value is a branch, taken at random on activations of either sign,
 * and measured 8-10 ns a value against 0.07-0.1 (1M floats, JDK 17, AVX-512); it was 47% of the CPU
 * path's MobileNetV2 (JFR). Both forms keep NaN; they differ only on a negative zero, which comes out
 * as +0 where the definition (and PyTorch 1.13) keeps -0; the two compare equal.
 */
final class Epilogue {
    private final boolean bias;
    private final PostOp[] steps;
    private final boolean hasSum;

    Epilogue(boolean bias, PostOps postOps) {
        this.bias = bias;
        this.steps = postOps.ops().toArray(new PostOp[0]);
        this.hasSum = postOps.hasSum();
    }

    /** Whether the epilogue reads a sum tensor. */
    boolean hasSum() {
        return hasSum;
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
        if (bias) {
            float b = biasValues[k];
            for (int i = 0; i < len; i++) {
                out[off + i] += b;
            }
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

    private static void activate(float[] a, int off, int len, Activation act) {
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
                for (int i = off; i < off + len; i++) {
                    double v = a[i];
                    a[i] = (float) (0.5 * v * (1 + Activation.erf(v * 0.7071067811865476)));
                }
            }
            case HARDSIGMOID -> {
                for (int i = off; i < off + len; i++) {
                    a[i] = Math.min(Math.max(alpha * a[i] + beta, 0f), 1f);
                }
            }
            case HARDSWISH -> {
                for (int i = off; i < off + len; i++) {
                    float v = a[i];
                    a[i] = v * Math.min(Math.max(v / 6f + 0.5f, 0f), 1f);
                }
            }
        }
    }
}
