package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.spi.CompiledConv;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every deform2d path must do, with torchvision's semantics: reduce to conv2d when offsets
 * are zero (or whole-pixel shifts), sample zero far outside the image or at an infinite offset,
 * give NaN wherever a NaN offset is used, and match {@link dev.convcl.reference.ReferenceConv}
 * on torchvision's test problem and on {@value dev.convcl.testing.Problems#RANDOM_DEFORM2D_COUNT}
 * random specs. Integer data is compared bit for bit, float data within relative L2 1e-5.
 */
abstract class Deform2dContract {

    /** Compiles {@code spec} on the backend under test. */
    protected abstract CompiledConv compile(ConvSpec spec);

    /** Called after each plan is closed, e.g. to check that nothing leaked. */
    protected void afterPlanClosed(ConvSpec spec) {
    }

    /** Runs {@code args} through a fresh plan for {@code spec} and returns the output. */
    private float[] run(ConvSpec spec, ConvArgs args) {
        try (CompiledConv plan = compile(spec)) {
            plan.execute(args);
        }
        afterPlanClosed(spec);
        return args.output().toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.Problems#deform2dPropertyCases")
    public void zeroOffsetsWithUnitMaskEqualConv2d(ConvSpec spec, long seed) {
        ConvArgs args = Tensors.args(spec, seed, true, 1);
        Arrays.fill(args.offset().array(), 0f);
        if (spec.mask()) {
            Arrays.fill(args.mask().array(), 1f);
        }
        ConvSpec conv = spec.asConv2d();
        float[] expected = CrossCheck.reference(conv, ConvArgs.conv2d(args.input(), args.weight(), args.bias(),
                Tensors.poisoned(conv)));
        CrossCheck.assertExact(spec, "zero offsets vs " + conv + ", seed " + seed, expected, run(spec, args));
    }

    /**
     * A whole-pixel shift (dy, dx), one per image and offset group, samples exactly the input
     * pixel (y + dy, x + dx): the same as conv2d, without padding, of an input built by padding
     * and shifting each channel explicitly.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.Problems#deform2dPropertyCases")
    public void integerOffsetsEqualConv2dOfShiftedInput(ConvSpec spec, long seed) {
        ConvArgs args = Tensors.args(spec, seed, true, 1);
        SplittableRandom rnd = new SplittableRandom(seed);
        int og = spec.offsetGroups(), kk = spec.kh() * spec.kw(), plane = spec.outH() * spec.outW();
        int[][] dy = new int[spec.n()][og], dx = new int[spec.n()][og];
        float[] off = args.offset().array();
        for (int n = 0; n < spec.n(); n++) {
            for (int g = 0; g < og; g++) {
                dy[n][g] = rnd.nextInt(-3, 4);
                dx[n][g] = rnd.nextInt(-3, 4);
                for (int p = 0; p < kk; p++) {
                    int base = (n * 2 * og * kk + g * 2 * kk + 2 * p) * plane;
                    Arrays.fill(off, base, base + plane, dy[n][g]);
                    Arrays.fill(off, base + plane, base + 2 * plane, dx[n][g]);
                }
            }
        }
        if (spec.mask()) {
            Arrays.fill(args.mask().array(), 1f);
        }

        int hp = spec.h() + 2 * spec.padH(), wp = spec.w() + 2 * spec.padW();
        ConvSpec conv = new ConvSpec(ConvSpec.Op.CONV2D, spec.n(), spec.c(), hp, wp, spec.k(), spec.kh(), spec.kw(),
                spec.strideH(), spec.strideW(), 0, 0, spec.dilH(), spec.dilW(), spec.groups(), 1, false,
                spec.bias(), spec.relu());
        float[] in = args.input().array();
        float[] shifted = new float[(int) conv.inputSize()];
        int cPerOg = spec.c() / og;
        for (int n = 0; n < spec.n(); n++) {
            for (int c = 0; c < spec.c(); c++) {
                int g = c / cPerOg;
                for (int y = 0; y < hp; y++) {
                    for (int x = 0; x < wp; x++) {
                        int sy = y - spec.padH() + dy[n][g], sx = x - spec.padW() + dx[n][g];
                        if (sy >= 0 && sy < spec.h() && sx >= 0 && sx < spec.w()) {
                            shifted[((n * spec.c() + c) * hp + y) * wp + x] = in[((n * spec.c() + c) * spec.h() + sy) * spec.w() + sx];
                        }
                    }
                }
            }
        }
        float[] expected = CrossCheck.reference(conv, ConvArgs.conv2d(Tensor.of(shifted, conv.inputShape()),
                args.weight(), args.bias(), Tensors.poisoned(conv)));
        CrossCheck.assertExact(spec, "integer shifts vs " + conv + ", seed " + seed, expected, run(spec, args));
    }

    /** Offsets of +-1e4 pixels put every sample far outside the image: only the bias remains. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.Problems#deform2dPropertyCases")
    public void offsetsFarOutsideContributeZero(ConvSpec spec, long seed) {
        ConvArgs args = Tensors.args(spec, seed, true, 1);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] off = args.offset().array();
        for (int i = 0; i < off.length; i++) {
            off[i] = rnd.nextBoolean() ? 1e4f : -1e4f;
        }
        CrossCheck.assertExact(spec, "offsets +-1e4, seed " + seed, biasOnly(spec, args), run(spec, args));
    }

    /**
     * Non-finite offsets (see {@link ConvSpec}). Infinite ones among finite ones are zero samples,
     * exactly as in the reference, and all-infinite offsets leave only the bias. A few NaN offsets
     * make NaN exactly the outputs that use their samples (outputs start at a finite sentinel, so
     * an element never written cannot pass for a NaN), and all-NaN offsets make every output NaN.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.Problems#deform2dPropertyCases")
    public void infiniteOffsetsSampleZeroAndNaNOffsetsPropagate(ConvSpec spec, long seed) {
        ConvArgs args = Tensors.args(spec, seed, true, 2);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] off = args.offset().array();
        float[] infinite = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < off.length; i++) {
            if (rnd.nextInt(3) == 0) {
                off[i] = infinite[rnd.nextInt(2)];
            }
        }
        CrossCheck.assertExact(spec, "+-inf among offsets, seed " + seed, CrossCheck.reference(spec, args),
                run(spec, args));

        ConvArgs allInf = Tensors.withFreshOutput(args, spec);
        float[] inf = allInf.offset().array();
        for (int i = 0; i < inf.length; i++) {
            inf[i] = infinite[rnd.nextInt(2)];
        }
        CrossCheck.assertExact(spec, "all offsets +-inf, seed " + seed, biasOnly(spec, allInf), run(spec, allInf));

        ConvArgs someNaN = withSentinelOutput(Tensors.args(spec, seed, true, 2), spec);
        float[] nanOff = someNaN.offset().array();
        for (int i = 0; i < 3; i++) {
            nanOff[rnd.nextInt(nanOff.length)] = Float.NaN;
        }
        float[] expected = CrossCheck.reference(spec, someNaN);
        assertTrue(IntStream.range(0, expected.length).anyMatch(i -> Float.isNaN(expected[i])),
                "a NaN offset must reach the reference's output: " + spec);
        CrossCheck.assertExactWithNaN(spec, "three NaN offsets, seed " + seed, expected, run(spec, someNaN));

        ConvArgs allNaN = withSentinelOutput(args, spec);
        Arrays.fill(allNaN.offset().array(), Float.NaN);
        float[] nan = new float[(int) spec.outputSize()];
        Arrays.fill(nan, Float.NaN);
        CrossCheck.assertExactWithNaN(spec, "all offsets NaN, seed " + seed, nan, run(spec, allNaN));
    }

    /** The same arguments (offsets copied) with an output filled with a finite sentinel. */
    private static ConvArgs withSentinelOutput(ConvArgs a, ConvSpec spec) {
        float[] sentinel = new float[(int) spec.outputSize()];
        Arrays.fill(sentinel, 12345f);
        return new ConvArgs(a.input(), a.weight(), a.bias(), Tensor.of(a.offset().toArray(), spec.offsetShape()),
                a.mask(), Tensor.of(sentinel, spec.outputShape()));
    }

    /** torchvision's test problem (test_ops.py TestDeformConv), batch 33 and 1, with and without mask. */
    @ParameterizedTest(name = "n={0} mask={1}")
    @CsvSource({"33, true", "33, false", "1, true", "1, false"})
    public void torchvisionTestProblemMatchesReference(int batch, boolean mask) {
        ConvSpec spec = ConvSpec.deform2d().input(batch, 6, 5, 4).output(2).kernel(3, 2).stride(2, 1)
                .padding(1, 0).dilation(2, 1).groups(2).offsetGroups(3).mask(mask).bias(true).build();
        long seed = batch * 2L + (mask ? 1 : 0);
        try (CompiledConv plan = compile(spec)) {
            CrossCheck.integersExact(spec, seed, plan::execute);
            // torchvision draws offsets from a standard normal; +-2 pixels covers the same ground.
            CrossCheck.floatsClose(spec, seed, 2, plan::execute);
        }
        afterPlanClosed(spec);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.Problems#deform2dHandPicked")
    public void handPickedProblemsMatchReference(ConvSpec spec, long seed) {
        check(spec, seed);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.Problems#deform2dRandom")
    public void randomSpecsMatchReference(ConvSpec spec, long seed) {
        check(spec, seed);
    }

    private void check(ConvSpec spec, long seed) {
        try (CompiledConv plan = compile(spec)) {
            CrossCheck.integersExact(spec, seed, plan::execute);
            CrossCheck.floatsClose(spec, seed, Problems.offsetScale(seed), plan::execute);
        }
        afterPlanClosed(spec);
    }

    /** The output when every sample is zero: bias (or 0), then ReLU. */
    private static float[] biasOnly(ConvSpec spec, ConvArgs args) {
        float[] out = new float[(int) spec.outputSize()];
        int plane = spec.outH() * spec.outW();
        for (int i = 0; i < out.length; i++) {
            float b = spec.bias() ? args.bias().get(i / plane % spec.k()) : 0f;
            out[i] = spec.relu() && b < 0 ? 0f : b;
        }
        return out;
    }
}
