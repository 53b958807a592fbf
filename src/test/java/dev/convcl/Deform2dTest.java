package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every deform2d implementation of every backend must do, with torchvision's semantics:
 * reduce to conv2d when offsets are zero (or whole-pixel shifts), sample zero far outside the
 * image or at an infinite offset, give NaN wherever a NaN offset is used, and match
 * {@link dev.convcl.reference.ReferenceConv} on torchvision's test problem and on
 * {@value dev.convcl.testing.Problems#RANDOM_DEFORM2D_COUNT} random specs ({@link ConvolutionContract}). Integer data is
 * compared bit for bit, float data within relative L2 1e-5. Each case runs on every
 * implementation of the target that accepts the problem ({@link Implementations}).
 */
class Deform2dTest extends ConvolutionContract {
    Deform2dTest() {
        super(Problems::deform2dHandPicked, Problems::deform2dAsymmetricPadding, Problems::deform2dRandom,
                Problems::offsetScale);
    }

    static Stream<Arguments> propertyCases() {
        return Target.each(Problems::deform2dPropertyCases);
    }

    /** torchvision's test problem (test_ops.py TestDeformConv), batch 33 and 1, with and without mask. */
    static Stream<Arguments> torchvision() {
        return Target.each(() -> Stream.of(Arguments.of(33, true), Arguments.of(33, false), Arguments.of(1, true),
                Arguments.of(1, false)));
    }

    /**
     * Runs a copy of {@code args} (its output starting as {@code args}'s) on every implementation
     * and hands each output to {@code check}.
     */
    private static void forEachOutput(Target target, Convolution spec, Args args, Consumer<float[]> check) {
        Implementations.check(ENGINES.get(target), target, spec, plan -> {
            Args copy = args.with(Arg.DST, Tensor.of(Tensors.out(args).clone(), spec.outputShape()));
            plan.execute(copy);
            check.accept(Tensors.out(copy));
        });
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("propertyCases")
    void zeroOffsetsWithUnitMaskEqualConv2d(Target target, DeformConv2d spec, long seed) {
        Args args = unitMaskArgs(spec, seed);
        Arrays.fill(Tensors.array(args, Arg.OFFSET), 0f);
        Convolution conv = spec.asConv2d();
        float[] expected = CrossCheck.reference(conv, asConv2d(args, conv));
        assertExactOnEach(target, spec, args, "zero offsets vs " + conv + ", seed " + seed, expected);
    }

    /**
     * A whole-pixel shift (dy, dx), one per image and offset group, samples exactly the input
     * pixel (y + dy, x + dx): the same as conv2d, without padding, of an input built by padding
     * and shifting each channel explicitly.
     */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("propertyCases")
    void integerOffsetsEqualConv2dOfShiftedInput(Target target, DeformConv2d spec, long seed) {
        Args args = unitMaskArgs(spec, seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int og = spec.offsetGroups(), kk = spec.kh() * spec.kw(), plane = spec.outH() * spec.outW();
        int[][] dy = new int[spec.n()][og], dx = new int[spec.n()][og];
        float[] off = Tensors.array(args, Arg.OFFSET);
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

        int hp = spec.h() + spec.padTop() + spec.padBottom(), wp = spec.w() + spec.padLeft() + spec.padRight();
        Window2d unpadded = Window2d.of(spec.kh(), spec.kw(), spec.strideH(), spec.strideW(), 0, 0, spec.dilH(),
                spec.dilW());
        Conv2d conv = new Conv2d(spec.n(), spec.c(), hp, wp, spec.k(), unpadded, spec.groups(), spec.bias(),
                spec.postOps(), spec.dataType(), spec.direction());
        float[] in = Tensors.array(args, Arg.SRC);
        float[] shifted = new float[(int) conv.inputSize()];
        int cPerOg = spec.c() / og;
        for (int n = 0; n < spec.n(); n++) {
            for (int c = 0; c < spec.c(); c++) {
                int g = c / cPerOg;
                for (int y = 0; y < hp; y++) {
                    for (int x = 0; x < wp; x++) {
                        int sy = y - spec.padTop() + dy[n][g], sx = x - spec.padLeft() + dx[n][g];
                        if (sy >= 0 && sy < spec.h() && sx >= 0 && sx < spec.w()) {
                            shifted[((n * spec.c() + c) * hp + y) * wp + x] = in[((n * spec.c() + c) * spec.h() + sy) * spec.w() + sx];
                        }
                    }
                }
            }
        }
        float[] expected = CrossCheck.reference(conv, asConv2d(args, conv).with(Arg.SRC,
                Tensor.of(shifted, conv.inputShape())));
        assertExactOnEach(target, spec, args, "integer shifts vs " + conv + ", seed " + seed, expected);
    }

    /** Offsets of +-1e4 pixels put every sample far outside the image: only the bias remains. */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("propertyCases")
    void offsetsFarOutsideContributeZero(Target target, Convolution spec, long seed) {
        Args args = Tensors.args(spec, seed, true, 1);
        SplittableRandom rnd = new SplittableRandom(seed);
        mapOffsets(args, o -> rnd.nextBoolean() ? 1e4f : -1e4f);
        float[] want = biasOnly(spec, args);
        assertExactOnEach(target, spec, args, "offsets +-1e4, seed " + seed, want);
    }

    /**
     * Non-finite offsets (see {@link DeformConv2d}). Infinite ones among finite ones are zero samples,
     * exactly as in the reference, and all-infinite offsets leave only the bias. A few NaN offsets
     * make NaN exactly the outputs that use their samples (outputs start at a finite sentinel, so
     * an element never written cannot pass for a NaN), and all-NaN offsets make every output NaN.
     */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("propertyCases")
    void infiniteOffsetsSampleZeroAndNaNOffsetsPropagate(Target target, Convolution spec, long seed) {
        Args args = Tensors.args(spec, seed, true, 2);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] infinite = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        mapOffsets(args, o -> rnd.nextInt(3) == 0 ? infinite[rnd.nextInt(2)] : o);
        float[] want = CrossCheck.reference(spec, args);
        assertExactOnEach(target, spec, args, "+-inf among offsets, seed " + seed, want);

        Args allInf = Tensors.withFreshOutput(args, spec);
        mapOffsets(allInf, o -> infinite[rnd.nextInt(2)]);
        float[] bias = biasOnly(spec, allInf);
        assertExactOnEach(target, spec, allInf, "all offsets +-inf, seed " + seed, bias);

        Args someNaN = withSentinelOutput(Tensors.args(spec, seed, true, 2), spec);
        float[] nanOff = Tensors.array(someNaN, Arg.OFFSET);
        for (int i = 0; i < 3; i++) {
            nanOff[rnd.nextInt(nanOff.length)] = Float.NaN;
        }
        float[] expected = CrossCheck.reference(spec, someNaN);
        assertTrue(IntStream.range(0, expected.length).anyMatch(i -> Float.isNaN(expected[i])),
                "a NaN offset must reach the reference's output: " + spec);
        forEachOutput(target, spec, someNaN, out ->
                CrossCheck.assertExactWithNaN(spec, "three NaN offsets, seed " + seed, expected, out));

        Args allNaN = withSentinelOutput(args, spec);
        Arrays.fill(Tensors.array(allNaN, Arg.OFFSET), Float.NaN);
        float[] nan = new float[(int) spec.outputSize()];
        Arrays.fill(nan, Float.NaN);
        forEachOutput(target, spec, allNaN, out ->
                CrossCheck.assertExactWithNaN(spec, "all offsets NaN, seed " + seed, nan, out));
    }

    /** Integer arguments for {@code spec} (offsets within +-1 pixel) whose mask, if it has one, is all ones. */
    private static Args unitMaskArgs(DeformConv2d spec, long seed) {
        Args args = Tensors.args(spec, seed, true, 1);
        if (spec.mask()) {
            Arrays.fill(Tensors.array(args, Arg.MASK), 1f);
        }
        return args;
    }

    /** Replaces each offset of {@code args}, in order, with {@code f} of it (float values pass through exactly). */
    private static void mapOffsets(Args args, DoubleUnaryOperator f) {
        float[] off = Tensors.array(args, Arg.OFFSET);
        for (int i = 0; i < off.length; i++) {
            off[i] = (float) f.applyAsDouble(off[i]);
        }
    }

    /** As {@link #forEachOutput}, each output equal to {@code expected} bit for bit ({@code what} names the case). */
    private static void assertExactOnEach(Target target, Convolution spec, Args args, String what, float[] expected) {
        forEachOutput(target, spec, args, out -> CrossCheck.assertExact(spec, what, expected, out));
    }

    /** The same arguments (offsets copied) with an output filled with a finite sentinel. */
    private static Args withSentinelOutput(Args a, Convolution spec) {
        float[] sentinel = new float[(int) spec.outputSize()];
        Arrays.fill(sentinel, 12345f);
        return a.with(Arg.OFFSET, Tensor.of(Tensors.array(a, Arg.OFFSET).clone(), a.get(Arg.OFFSET).shape()))
                .with(Arg.DST, Tensor.of(sentinel, spec.outputShape()));
    }

    /** torchvision's test problem (test_ops.py TestDeformConv), batch 33 and 1, with and without mask. */
    @ParameterizedTest(name = "[{0}] n={1} mask={2}")
    @MethodSource("torchvision")
    void torchvisionTestProblemMatchesReference(Target target, int batch, boolean mask) {
        Convolution spec = DeformConv2d.builder().input(batch, 6, 5, 4).output(2).kernel(3, 2).stride(2, 1)
                .padding(1, 0).dilation(2, 1).groups(2).offsetGroups(3).mask(mask).bias(true).build();
        long seed = batch * 2L + (mask ? 1 : 0);
        Implementations.check(ENGINES.get(target), target, spec, plan -> {
            CrossCheck.integersExact(spec, seed, plan::execute);
            // torchvision draws offsets from a standard normal; +-2 pixels covers the same ground.
            CrossCheck.floatsClose(spec, seed, 2, plan::execute);
        });
    }

    /** The arguments of {@code a} that the ordinary convolution {@code conv} takes, with a fresh output. */
    private static Args asConv2d(Args a, Convolution conv) {
        return a.with(Arg.OFFSET, null).with(Arg.MASK, null).with(Arg.DST, Tensors.poisoned(conv));
    }

    /** The output when every sample is zero: bias (or 0), then the post-ops. */
    private static float[] biasOnly(Convolution spec, Args args) {
        float[] out = new float[(int) spec.outputSize()];
        int plane = spec.outH() * spec.outW();
        for (int i = 0; i < out.length; i++) {
            float b = spec.bias() ? Tensors.array(args, Arg.BIAS)[i / plane % spec.k()] : 0f;
            out[i] = (float) spec.postOps().apply(b, 0);
        }
        return out;
    }
}
