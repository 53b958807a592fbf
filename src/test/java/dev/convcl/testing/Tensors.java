package dev.convcl.testing;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.reference.Accuracy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Test data: random tensors for an operation, poisoned outputs, and error measures. */
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
     * Host arguments for {@code op}: integer inputs if {@code integers}, else floats; offsets
     * scaled by {@code offsetScale} pixels; a mask in [0, 1) (integers: {0, 1}); the tensor a
     * {@code sum} post-op reads like the input; the output filled with NaN. Drawn in the order
     * input, weight, bias, offset, mask, sum, so a seed gives the same data it always did.
     */
    public static Args args(Convolution op, long seed, boolean integers, double offsetScale) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Args.Builder b = Args.builder();
        b.src(Tensor.of(integers ? integers(rnd, op.inputSize(), 8) : floats(rnd, op.inputSize()), op.inputShape()));
        b.weights(Tensor.of(integers ? integers(rnd, op.weightSize(), 8) : floats(rnd, op.weightSize()), op.weightShape()));
        if (op.bias()) {
            b.bias(Tensor.of(integers ? integers(rnd, op.k(), 8) : floats(rnd, op.k()), op.biasShape()));
        }
        if (op instanceof DeformConv2d d) {
            float[] o = integers ? integers(rnd, d.offsetSize(), (int) Math.max(1, offsetScale))
                    : floats(rnd, d.offsetSize(), offsetScale);
            b.offset(Tensor.of(o, d.offsetShape()));
            if (d.mask()) {
                float[] m = new float[(int) d.maskSize()];
                for (int i = 0; i < m.length; i++) {
                    m[i] = integers ? rnd.nextInt(2) : (float) rnd.nextDouble();
                }
                b.mask(Tensor.of(m, d.maskShape()));
            }
        }
        if (op.postOps().hasSum()) {
            b.sum(Tensor.of(integers ? integers(rnd, op.outputSize(), 8) : floats(rnd, op.outputSize()),
                    op.outputShape()));
        }
        return b.dst(poisoned(op)).build();
    }

    /** A fresh output tensor full of NaN, so an element the backend does not write fails the check. */
    public static HostTensor poisoned(Convolution op) {
        float[] o = new float[(int) op.outputSize()];
        Arrays.fill(o, Float.NaN);
        return Tensor.of(o, op.outputShape());
    }

    /** The same arguments with a new poisoned output. */
    public static Args withFreshOutput(Args a, Convolution op) {
        return a.with(Arg.DST, poisoned(op));
    }

    /** The backing array of the host tensor {@code a} holds for {@code role} (not a copy), or null when absent. */
    public static float[] array(Args a, Arg role) {
        Tensor t = a.get(role);
        return t == null ? null : ((HostTensor) t).array();
    }

    /** The backing array of the output (a host tensor backed by an array). */
    public static float[] out(Args a) {
        return array(a, Arg.DST);
    }

    /** {@link dev.convcl.reference.Accuracy#relativeL2}: the measure bench and verify use too. */
    public static double relativeL2(float[] ref, float[] out) {
        return dev.convcl.reference.Accuracy.relativeL2(ref, out);
    }

    /** {@code args} without {@code role} (a call that leaves a bound argument out). */
    public static Args without(Args args, Arg role) {
        Args.Builder b = Args.builder();
        args.asMap().forEach((r, t) -> {
            if (r != role) {
                b.set(r, t);
            }
        });
        return b.build();
    }

    /** Index of the first element that differs bitwise (NaN equal to NaN, +0 equal to -0), or -1. */
    public static int firstMismatch(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.compare(a[i], b[i]) != 0 && !(a[i] == 0f && b[i] == 0f)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Runs {@code plan} with every tensor of {@code host} uploaded to {@code engine}'s device and
     * returns the output read back; the uploaded tensors are closed afterwards.
     */
    public static float[] executeOnDevice(Engine engine, Plan plan, Args host) {
        Args.Builder b = Args.builder();
        List<DeviceTensor> open = new ArrayList<>();
        try {
            for (Arg role : host.roles()) {
                DeviceTensor d = engine.upload((HostTensor) host.get(role));
                open.add(d);
                b.set(role, d);
            }
            Args dev = b.build();
            plan.execute(dev);
            return ((DeviceTensor) dev.get(Arg.DST)).toArray();
        } finally {
            open.forEach(DeviceTensor::close);
        }
    }
}
