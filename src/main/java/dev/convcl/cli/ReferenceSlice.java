package dev.convcl.cli;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
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
record ReferenceSlice(ConvSpec full, ConvSpec slice, int groupsKept, int kPerGroupKept) {

    /**
     * The largest slice of {@code spec} within {@code maxFlops}: output channels per group are
     * halved first, then groups (for deform2d only while the kept channels cover whole offset
     * groups). The whole problem when it fits.
     */
    static ReferenceSlice choose(ConvSpec spec, double maxFlops) {
        int groups = spec.groups();
        int kg = spec.kPerGroup();
        int cPerOg = spec.c() / spec.offsetGroups();
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
        ConvSpec slice = new ConvSpec(spec.op(), spec.n(), c, spec.h(), spec.w(), groups * kg, spec.kh(), spec.kw(),
                spec.strideH(), spec.strideW(), spec.padH(), spec.padW(), spec.dilH(), spec.dilW(), groups,
                spec.isDeformable() ? c / cPerOg : 1, spec.mask(), spec.bias(), spec.relu());
        return new ReferenceSlice(spec, slice, groups, kg);
    }

    private static double flops(ConvSpec s, int groups, int kg) {
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
    Tensor reference(ConvArgs data) {
        if (isWhole()) {
            ConvArgs ref = ProblemData.freshOutput(data, full);
            ReferenceConv.run(full, ref);
            return ref.output();
        }
        int n = full.n();
        int kk = full.kh() * full.kw();
        int og = slice.offsetGroups();
        Tensor input = leading(data.input(), n, slice.c(), full.inputShape(), slice.inputShape());
        Tensor offset = full.isDeformable()
                ? leading(data.offset(), n, 2 * og * kk, full.offsetShape(), slice.offsetShape()) : null;
        Tensor mask = full.mask() ? leading(data.mask(), n, og * kk, full.maskShape(), slice.maskShape()) : null;
        int weightPer = full.cPerGroup() * kk;
        float[] w = data.weight().toArray();
        float[] ws = new float[(int) slice.weightSize()];
        float[] b = full.bias() ? data.bias().toArray() : null;
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
        ConvArgs args = new ConvArgs(input, Tensor.of(ws, slice.weightShape()),
                bs == null ? null : Tensor.of(bs, slice.biasShape()), offset, mask, ProblemData.poisoned(slice));
        ReferenceConv.run(slice, args);
        return args.output();
    }

    /** The channels of the full output {@code out} that the slice covers, laid out as the slice's output. */
    Tensor sliceOf(Tensor out) {
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
    private static Tensor leading(Tensor t, int n, int keep, int[] fullShape, int[] sliceShape) {
        int per = fullShape[2] * fullShape[3];
        float[] src = t.toArray();
        float[] dst = new float[n * keep * per];
        for (int i = 0; i < n; i++) {
            System.arraycopy(src, i * fullShape[1] * per, dst, i * keep * per, keep * per);
        }
        return Tensor.of(dst, sliceShape);
    }
}
