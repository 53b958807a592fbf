package dev.convcl.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.HostTensor;
import dev.convcl.PostOps;
import dev.convcl.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * NaN and infinity cases shared by the non-finite tests of every backend.
 *
 * <p>The semantics every backend follows (the reference's): zero padding consists of zeros that
 * are multiplied by the weights like any other input value, so {@code 0 * NaN = NaN} and
 * {@code 0 * inf = NaN} — the result of padding the input explicitly and convolving without
 * padding. A NaN or infinite weight therefore reaches every output of its channel, border outputs
 * included, and a zero weight does not stop an infinite input. A kernel that skips padding taps or
 * zero weights breaks this and fails here. Deformable sampling outside the image (including at an
 * infinite offset) is a zero sample that is then multiplied like the others; a NaN offset makes
 * its sample NaN (see {@link DeformEdgeCases} for the hand-computed deformable cases).
 */
public final class NonFinite {
    private NonFinite() {
    }

    /** One poisoned problem: a name for messages and its arguments (output poisoned with NaN). */
    public record Case(String name, Convolution spec, Args args) {
        @Override
        public String toString() {
            return name + " (" + spec + ")";
        }
    }

    /** Every pattern on every problem of kernel-coverage.txt, random finite data around the poison. */
    public static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        long seed = 100;
        for (ProblemFiles.Named p : ProblemFiles.kernelCoverage()) {
            Convolution s = p.spec();
            int inPlane = s.h() * s.w();
            int taps = s.kh() * s.kw();
            int lastWeight = (int) s.weightSize() - 1;
            int lastK = s.k() - 1;
            int kStride = s.cPerGroup() * taps; // weights of one output channel
            out.add(make(p, "NaN input at a corner and inside", seed++, a -> {
                a.input()[0] = Float.NaN;
                a.input()[(int) s.inputSize() - 1 - inPlane / 2] = Float.NaN;
            }));
            out.add(make(p, "+inf and -inf inputs, zero weights on channel 0", seed++, a -> {
                a.input()[0] = Float.POSITIVE_INFINITY;
                a.input()[(s.c() - 1) * inPlane + inPlane / 2] = Float.NEGATIVE_INFINITY;
                a.input()[inPlane / 2 + 1 < inPlane ? inPlane / 2 + 1 : 0] = Float.NEGATIVE_INFINITY;
                Arrays.fill(a.weight(), 0, kStride, 0f);
            }));
            out.add(make(p, "NaN weight on the first tap of channel 0", seed++, a -> a.weight()[0] = Float.NaN));
            out.add(make(p, "+inf weight on the last tap, -inf on the first of channel " + lastK, seed++, a -> {
                a.weight()[lastWeight] = Float.POSITIVE_INFINITY;
                a.weight()[lastK * kStride] = Float.NEGATIVE_INFINITY;
            }));
            out.add(make(p, "zero input plane with an infinite weight", seed++, a -> {
                Arrays.fill(a.input(), 0, inPlane, 0f);
                a.weight()[0] = Float.POSITIVE_INFINITY;
            }));
            if (s.bias()) {
                out.add(make(p, "NaN and -inf bias", seed++, a -> {
                    a.bias()[0] = Float.NaN;
                    a.bias()[lastK] = Float.NEGATIVE_INFINITY;
                }));
            }
            if (s instanceof DeformConv2d d) {
                int plane = s.outH() * s.outW();
                out.add(make(p, "NaN, +inf and -inf offsets", seed++, a -> {
                    a.offset()[0] = Float.NaN;
                    a.offset()[plane + 1 < a.offset().length ? plane + 1 : 1] = Float.POSITIVE_INFINITY;
                    a.offset()[a.offset().length - 1] = Float.NEGATIVE_INFINITY;
                }));
                out.add(make(p, "NaN offset with a NaN weight", seed++, a -> {
                    a.offset()[0] = Float.NaN;
                    a.weight()[0] = Float.NaN;
                }));
                if (d.mask()) {
                    out.add(make(p, "NaN and inf mask", seed++, a -> {
                        a.mask()[0] = Float.NaN;
                        a.mask()[a.mask().length - 1] = Float.POSITIVE_INFINITY;
                    }));
                }
            }
        }
        return out;
    }

    /** The arrays of a case, for poisoning. */
    private record Arrays5(float[] input, float[] weight, float[] bias, float[] offset, float[] mask) {
    }

    private static Case make(ProblemFiles.Named p, String what, long seed, java.util.function.Consumer<Arrays5> poison) {
        Args a = Tensors.args(p.spec(), seed, false, 2.5);
        poison.accept(new Arrays5(Tensors.array(a, Arg.SRC), Tensors.array(a, Arg.WEIGHTS), Tensors.array(a, Arg.BIAS),
                Tensors.array(a, Arg.OFFSET), Tensors.array(a, Arg.MASK)));
        return new Case(p.name() + ": " + what, p.spec(), a);
    }

    /**
     * Null when {@code out} has NaN exactly where {@code ref} has, the same infinities with the same
     * signs, and finite values within 1e-4 relative; else the first disagreement.
     */
    public static String disagreement(float[] ref, float[] out) {
        for (int i = 0; i < ref.length; i++) {
            float r = ref[i], o = out[i];
            if (Float.isNaN(r) || Float.isNaN(o) || Float.isInfinite(r) || Float.isInfinite(o)) {
                if (Float.compare(Float.isNaN(r) ? Float.NaN : r, Float.isNaN(o) ? Float.NaN : o) != 0) {
                    return "element " + i + ": expected " + r + " but got " + o;
                }
            } else if (Math.abs(r - o) > 1e-4 * (1 + Math.abs(r))) {
                return "element " + i + ": expected " + r + " but got " + o + " (finite values too far apart)";
            }
        }
        return null;
    }

    /** Counts of NaN, +inf and -inf, e.g. {@code 12 NaN, 3 +inf, 0 -inf}. */
    public static String census(float[] a) {
        int nan = 0, pos = 0, neg = 0;
        for (float v : a) {
            nan += Float.isNaN(v) ? 1 : 0;
            pos += v == Float.POSITIVE_INFINITY ? 1 : 0;
            neg += v == Float.NEGATIVE_INFINITY ? 1 : 0;
        }
        return nan + " NaN, " + pos + " +inf, " + neg + " -inf";
    }

    /**
     * One hand-computed case: a 1-channel 3x3 problem, its tensors (the output filled with a finite
     * sentinel, so a NaN in the result was computed, not left over) and the exact expected output.
     */
    public record HandCase(String what, Convolution spec, Args args, float[] expected) {
        @Override
        public String toString() {
            return what;
        }

        /**
         * Null when {@code run}, given a copy of the tensors with a sentinel output, writes the
         * expected output (NaN where expected, infinities with their signs); else what differs.
         */
        public String failure(Consumer<Args> run) {
            float[] sentinel = new float[expected.length];
            Arrays.fill(sentinel, 12345f);
            HostTensor out = Tensor.of(sentinel, spec.outputShape());
            run.accept(args.with(Arg.DST, out));
            String bad = disagreement(expected, out.array());
            return bad == null ? null : what + ": expected " + Arrays.toString(expected) + " got "
                    + Arrays.toString(out.array()) + " [" + spec + "]";
        }
    }

    /**
     * Hand-computed cases that pin the semantics without the reference: a 3x3 input, a 3x3 kernel,
     * padding 1, so every output window covers the centre and the corner windows hang over the
     * padding.
     */
    public static List<HandCase> handComputed() {
        Convolution spec = Problems.parse("op=conv2d n=1 c=1 h=3 w=3 k=1 kh=3 kw=3 pad=1");
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        List<HandCase> cases = new ArrayList<>();

        float[] w = filled(9, 1f);
        w[0] = nan; // tap (0,0): on the padding for the top row and left column of outputs
        cases.add(hand("a NaN weight reaches every output, padded taps included (0 * NaN = NaN)", spec, filled(9, 1f), w,
                filled(9, nan)));

        float[] centreInf = filled(9, 1f);
        centreInf[4] = inf;
        cases.add(hand("an infinite input times zero weights is NaN (0 * inf = NaN), not skipped", spec, centreInf,
                filled(9, 0f), filled(9, nan)));

        float[] cornersInf = filled(9, 1f);
        cornersInf[0] = inf;
        cornersInf[8] = -inf;
        cases.add(hand("+inf and -inf meeting in one window give NaN; alone they keep their sign", spec, cornersInf,
                filled(9, 1f), new float[] {inf, inf, 4, inf, nan, -inf, 4, -inf, -inf}));

        float[] wInf = filled(9, 1f);
        wInf[0] = inf; // tap (0,0) lands on the padding for outputs in row 0 or column 0
        cases.add(hand("an infinite weight on a padded tap gives NaN (padding is a zero that is multiplied)", spec,
                filled(9, 2f), wInf, new float[] {nan, nan, nan, nan, inf, inf, nan, inf, inf}));

        float[] relu = filled(9, 1f);
        relu[4] = nan;
        cases.add(hand("ReLU keeps NaN as NaN", spec.withPostOps(PostOps.of(Activation.relu())), relu, filled(9, -1f),
                filled(9, nan)));
        return cases;
    }

    private static HandCase hand(String what, Convolution spec, float[] in, float[] w, float[] expected) {
        return new HandCase(what, spec, Args.of(Arg.SRC, Tensor.of(in, 1, 1, 3, 3), Arg.WEIGHTS,
                Tensor.of(w, 1, 1, 3, 3)), expected);
    }

    /**
     * Runs every {@link #handComputed()} case through {@code backend}, which computes the
     * {@link Arg#DST} of the arguments it is given for the spec it is given.
     */
    public static void checkHandComputed(String backendName, BiConsumer<Convolution, Args> backend) {
        List<String> failures = new ArrayList<>();
        for (HandCase c : handComputed()) {
            String bad = c.failure(args -> backend.accept(c.spec(), args));
            if (bad != null) {
                failures.add(bad);
            }
        }
        assertEquals(List.of(), failures, backendName + ": hand-computed non-finite cases");
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
