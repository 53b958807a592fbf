package dev.convcl.testing;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Test data: random tensors for a spec, poisoned outputs, and error measures. */
public final class Tensors {
    private Tensors() {
    }

    /** Integer values in [-lim, lim]: conv sums of these are exact in float32 (within 2^24). */
    public static float[] integers(SplittableRandom rnd, long size, int lim) {
        float[] a = new float[(int) size];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextInt(-lim, lim + 1);
        }
        return a;
    }

    /** Uniform floats in [-1, 1). */
    public static float[] floats(SplittableRandom rnd, long size) {
        return floats(rnd, size, 1.0);
    }

    public static float[] floats(SplittableRandom rnd, long size, double scale) {
        float[] a = new float[(int) size];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    /**
     * Arguments for {@code spec}: integer inputs if {@code integers}, else floats; offsets scaled
     * by {@code offsetScale} pixels; a mask in [0, 1) (integers: {0, 1}); output filled with NaN.
     */
    public static ConvArgs args(ConvSpec spec, long seed, boolean integers, double offsetScale) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor in = Tensor.of(integers ? integers(rnd, spec.inputSize(), 8) : floats(rnd, spec.inputSize()), spec.inputShape());
        Tensor wt = Tensor.of(integers ? integers(rnd, spec.weightSize(), 8) : floats(rnd, spec.weightSize()), spec.weightShape());
        Tensor b = spec.bias() ? Tensor.of(integers ? integers(rnd, spec.k(), 8) : floats(rnd, spec.k()), spec.biasShape()) : null;
        Tensor off = null, mask = null;
        if (spec.isDeformable()) {
            float[] o = integers ? integers(rnd, spec.offsetSize(), (int) Math.max(1, offsetScale))
                    : floats(rnd, spec.offsetSize(), offsetScale);
            off = Tensor.of(o, spec.offsetShape());
            if (spec.mask()) {
                float[] m = new float[(int) spec.maskSize()];
                for (int i = 0; i < m.length; i++) {
                    m[i] = integers ? rnd.nextInt(2) : (float) rnd.nextDouble();
                }
                mask = Tensor.of(m, spec.maskShape());
            }
        }
        return new ConvArgs(in, wt, b, off, mask, poisoned(spec));
    }

    /** A fresh output tensor full of NaN, so an element the backend does not write fails the check. */
    public static Tensor poisoned(ConvSpec spec) {
        float[] o = new float[(int) spec.outputSize()];
        Arrays.fill(o, Float.NaN);
        return Tensor.of(o, spec.outputShape());
    }

    /** The same arguments with a new poisoned output. */
    public static ConvArgs withFreshOutput(ConvArgs a, ConvSpec spec) {
        return new ConvArgs(a.input(), a.weight(), a.bias(), a.offset(), a.mask(), poisoned(spec));
    }

    /** {@link dev.convcl.reference.Accuracy#relativeL2}: the measure bench and verify use too. */
    public static double relativeL2(float[] ref, float[] out) {
        return dev.convcl.reference.Accuracy.relativeL2(ref, out);
    }

    /** Index of the first element that differs bitwise (NaN equal to NaN), or -1. */
    public static int firstMismatch(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.compare(a[i], b[i]) != 0 && !(a[i] == 0f && b[i] == 0f)) {
                return i;
            }
        }
        return -1;
    }
}
