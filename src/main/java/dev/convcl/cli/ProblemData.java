package dev.convcl.cli;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
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
     * Inputs, weights and bias uniform in [-1, 1), offsets uniform in [-2.5, 2.5) pixels, a mask
     * in [0, 1), and an output full of NaN so that an element a backend does not write shows.
     */
    static ConvArgs random(ConvSpec spec, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor in = Tensor.of(uniform(rnd, spec.inputSize(), -1, 1), spec.inputShape());
        Tensor wt = Tensor.of(uniform(rnd, spec.weightSize(), -1, 1), spec.weightShape());
        Tensor b = spec.bias() ? Tensor.of(uniform(rnd, spec.k(), -1, 1), spec.biasShape()) : null;
        Tensor off = spec.isDeformable()
                ? Tensor.of(uniform(rnd, spec.offsetSize(), -OFFSET_PIXELS, OFFSET_PIXELS), spec.offsetShape()) : null;
        Tensor mask = spec.mask() ? Tensor.of(uniform(rnd, spec.maskSize(), 0, 1), spec.maskShape()) : null;
        return new ConvArgs(in, wt, b, off, mask, poisoned(spec));
    }

    /** The same inputs with a new NaN-filled output. */
    static ConvArgs freshOutput(ConvArgs a, ConvSpec spec) {
        return new ConvArgs(a.input(), a.weight(), a.bias(), a.offset(), a.mask(), poisoned(spec));
    }

    static Tensor poisoned(ConvSpec spec) {
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
    static double relativeL2(Tensor ref, Tensor out) {
        return dev.convcl.reference.Accuracy.relativeL2(ref.toArray(), out.toArray());
    }
}
