package dev.convcl.cli;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Conv2d;
import dev.convcl.Convolution;
import dev.convcl.DataType;
import dev.convcl.DeformConv2d;
import dev.convcl.Direction;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;


/**
 * The reference is single-threaded and slow (well under 1 GFLOP/s), too slow for a benchmark's
 * larger problems. Output channels are independent of each other, so it can still check any
 * problem exactly on a slice of them: the first {@code groupsKept} groups and, in each, the first
 * {@code kPerGroupKept} output channels. The slice is a smaller problem of its own (fewer groups
 * read fewer input channels) whose reference output must equal those channels of the full output.
 *
 * @param full          the problem
 * @param slice         the smaller problem the reference runs
 * @param groupsKept    groups kept, from the first
 * @param kPerGroupKept output channels kept in each kept group, from the first
 */
record ReferenceSlice(Convolution full, Convolution slice, int groupsKept, int kPerGroupKept) {

    /**
     * The largest slice of {@code spec} within {@code maxFlops}: output channels per group are
     * halved first, then groups (for deform2d only while the kept channels cover whole offset
     * groups). The whole problem when it fits.
     */
    static ReferenceSlice choose(Convolution spec, double maxFlops) {
        int groups = spec.groups();
        int kg = spec.kPerGroup();
        int cPerOg = spec instanceof DeformConv2d d ? spec.c() / d.offsetGroups() : spec.c();
        while (flops(spec, groups, kg) > maxFlops) {
            if (kg > 1) {
                kg = (kg + 1) / 2;
            } else if (groups > 1 && (!spec.isDeformable() || groups / 2 * spec.cPerGroup() % cPerOg == 0)) {
                groups /= 2;
            } else {
                break; // the smallest slice this problem allows
            }
        }
        int c = groups * spec.cPerGroup();
        Convolution slice = spec instanceof DeformConv2d d
                ? new DeformConv2d(spec.n(), c, spec.h(), spec.w(), groups * kg, spec.window(), groups, c / cPerOg, d.mask(),
                        spec.bias(), spec.postOps(), DataType.F32, Direction.FORWARD)
                : new Conv2d(spec.n(), c, spec.h(), spec.w(), groups * kg, spec.window(), groups, spec.bias(),
                        spec.postOps(), DataType.F32, Direction.FORWARD);
        return new ReferenceSlice(spec, slice, groups, kg);
    }

    private static double flops(Convolution s, int groups, int kg) {
        return s.flops() * ((double) groups / s.groups()) * ((double) kg / s.kPerGroup());
    }

    boolean isWhole() {
        return slice.equals(full);
    }

    /** {@code all 64 output channels} or {@code 2 of 64 output channels}. */
    String describe() {
        return isWhole() ? "all " + full.k() + " output channels" : slice.k() + " of " + full.k() + " output channels";
    }

    /** Runs the reference on the slice of {@code data}'s inputs; returns the slice's output. */
    HostTensor reference(Args data) {
        if (isWhole()) {
            Args ref = ProblemData.freshOutput(data, full);
            ReferenceConv.run(full, ref);
            return ProblemData.output(ref);
        }
        int n = full.n();
        int kk = full.kh() * full.kw();
        HostTensor input = leading(host(data, Arg.SRC), n, slice.c(), full.inputShape(), slice.inputShape());
        HostTensor offset = null, mask = null;
        if (full instanceof DeformConv2d fd) {
            DeformConv2d sd = (DeformConv2d) slice;
            int og = sd.offsetGroups();
            offset = leading(host(data, Arg.OFFSET), n, 2 * og * kk, fd.offsetShape(), sd.offsetShape());
            mask = fd.mask() ? leading(host(data, Arg.MASK), n, og * kk, fd.maskShape(), sd.maskShape()) : null;
        }
        HostTensor sum = full.postOps().hasSum() ? sliceOf(host(data, Arg.SUM)) : null;
        int weightPer = full.cPerGroup() * kk;
        float[] w = host(data, Arg.WEIGHTS).toArray();
        float[] ws = new float[(int) slice.weightSize()];
        float[] b = full.bias() ? host(data, Arg.BIAS).toArray() : null;
        float[] bs = full.bias() ? new float[slice.k()] : null;
        for (int g = 0; g < groupsKept; g++) {
            for (int j = 0; j < kPerGroupKept; j++) {
                int from = g * full.kPerGroup() + j, to = g * kPerGroupKept + j;
                System.arraycopy(w, from * weightPer, ws, to * weightPer, weightPer);
                if (bs != null) {
                    bs[to] = b[from];
                }
            }
        }
        Args args = Args.builder().src(input).weights(Tensor.of(ws, slice.weightShape()))
                .bias(bs == null ? null : Tensor.of(bs, slice.biasShape())).offset(offset).mask(mask).sum(sum)
                .dst(ProblemData.poisoned(slice)).build();
        ReferenceConv.run(slice, args);
        return ProblemData.output(args);
    }

    private static HostTensor host(Args a, Arg role) {
        return (HostTensor) a.get(role);
    }

    /** The channels of the full output {@code out} that the slice covers, laid out as the slice's output. */
    HostTensor sliceOf(HostTensor out) {
        if (isWhole()) {
            return out;
        }
        int plane = slice.outH() * slice.outW();
        float[] src = out.toArray();
        float[] dst = new float[(int) slice.outputSize()];
        for (int i = 0; i < full.n(); i++) {
            for (int g = 0; g < groupsKept; g++) {
                for (int j = 0; j < kPerGroupKept; j++) {
                    int from = i * full.k() + g * full.kPerGroup() + j;
                    int to = i * slice.k() + g * kPerGroupKept + j;
                    System.arraycopy(src, from * plane, dst, to * plane, plane);
                }
            }
        }
        return Tensor.of(dst, slice.outputShape());
    }

    /** The first {@code keep} of each image's channels of an [N, C, H, W] tensor. */
    private static HostTensor leading(HostTensor t, int n, int keep, int[] fullShape, int[] sliceShape) {
        int per = fullShape[2] * fullShape[3];
        float[] src = t.toArray();
        float[] dst = new float[n * keep * per];
        for (int i = 0; i < n; i++) {
            System.arraycopy(src, i * fullShape[1] * per, dst, i * keep * per, keep * per);
        }
        return Tensor.of(dst, sliceShape);
    }
}
