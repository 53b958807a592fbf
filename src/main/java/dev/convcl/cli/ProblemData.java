package dev.convcl.cli;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
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

    /** The same inputs with a new NaN-filled output. */
    static Args freshOutput(Args a, Convolution spec) {
        return a.with(Arg.DST, poisoned(spec));
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
