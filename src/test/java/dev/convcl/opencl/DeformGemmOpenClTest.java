package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.spi.CompiledConv;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Tensors;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link DeformGemmPlan} ({@code deform2d_gemm.cl}) against the reference, on every tile it may be given. */
class DeformGemmOpenClTest {
    private static OpenClContext ctx;

    @BeforeAll
    static void open() {
        ctx = new OpenClContext(OpenClTestDevice.require());
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    /** torchvision's own test problem (test_ops.py, TestDeformConv), batch 33. */
    private static final String TORCHVISION = "op=deform2d n=33 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1"
            + " groups=2 og=3 mask=1 bias=1";

    /**
     * Odd shapes through the selector's default tile: sizes 1, 7, 13, 33; offset groups 1-4 (also
     * splitting a group's channels), groups 1 and 2, mask on and off, stride, dilation, padding
     * differing between the axes, output channels that do not fill a register tile, channel
     * counts that need several sampling chunks, bias and ReLU.
     */
    private static final String[] EDGE_SPECS = {
        TORCHVISION,
        "op=deform2d n=2 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=0 relu=1",
        "op=deform2d n=1 c=4 h=13 w=7 k=6 kh=3 kw=3 pad=1 groups=2 og=4 mask=1 bias=1 relu=1",
        "op=deform2d n=2 c=8 h=7 w=13 k=4 kh=3 kw=3 pad=1 groups=1 og=2 mask=0 bias=1",
        "op=deform2d n=1 c=3 h=33 w=33 k=5 kh=3 kw=3 stride=2 pad=1 groups=1 og=1 mask=1",
        "op=deform2d n=1 c=2 h=1 w=1 k=3 kh=1 kw=1 groups=1 og=1 mask=1 bias=1",
        "op=deform2d n=1 c=2 h=7 w=7 k=2 kh=5 kw=5 pad=2 dil=1 groups=1 og=2 mask=1 bias=1 relu=1",
        "op=deform2d n=3 c=4 h=13 w=13 k=20 kh=3 kw=3 pad=1 groups=1 og=1 mask=0",
        "op=deform2d n=1 c=40 h=7 w=7 k=8 kh=3 kw=3 pad=4,1 dil=4,1 groups=2 og=4 mask=1 bias=1",
        "op=deform2d n=1 c=2 h=13 w=33 k=2 kh=1 kw=7 stride=1,3 pad=0,3 dil=1,2 groups=1 og=1 mask=1",
        "op=deform2d n=1 c=2 h=33 w=13 k=2 kh=7 kw=1 stride=3,1 pad=3,0 groups=2 og=2 mask=0",
    };

    @Test
    void selectorDefaultTileMatchesReferenceOnOddShapes() {
        long seed = 300;
        for (String line : EDGE_SPECS) {
            ConvSpec spec = ConvSpec.parse(line);
            try (CompiledConv plan = KernelSelector.compile(ctx, spec)) {
                assertTrue(plan.algorithm().startsWith("deform-gemm["), spec + ": selector chose " + plan.algorithm());
                for (double offsetScale : new double[] {0.5, 2, 10}) {
                    PlanChecks.checkIntegersAndFloats(spec, plan, seed++, offsetScale);
                }
            }
        }
    }

    /** Per tile: a problem whose channel chunks straddle offset groups, and torchvision's problem. */
    private static final String[] TILE_SPECS = {
        "op=deform2d n=2 c=10 h=7 w=13 k=36 kh=3 kw=3 pad=1 groups=2 og=5 mask=1 bias=1 relu=1",
        TORCHVISION,
    };

    @Test
    void everyCandidateTileMatchesReference() {
        OpenClDeviceInfo device = ctx.info();
        long seed = 400;
        for (String line : TILE_SPECS) {
            ConvSpec spec = ConvSpec.parse(line);
            Set<DeformGemmPlan.Tile> tiles = new LinkedHashSet<>(DeformGemmPlan.candidates(spec, device));
            for (DeformGemmPlan.Tile t : DeformGemmPlan.candidates(spec, PlanChecks.asGpu(device))) {
                if (t.fits(spec, device)) {
                    tiles.add(t);
                }
            }
            assertTrue(tiles.size() >= 6, "expected the CPU and GPU candidate lists, got " + tiles);
            for (DeformGemmPlan.Tile t : tiles) {
                try (DeformGemmPlan plan = new DeformGemmPlan(ctx, spec, t)) {
                    PlanChecks.checkIntegersAndFloats(spec, plan, seed++, 3);
                }
            }
        }
    }

    /** A small spec with channels split into several chunks and two offset groups. */
    private static final ConvSpec SMALL = ConvSpec.parse(
            "op=deform2d n=2 c=4 h=7 w=13 k=6 kh=3 kw=3 stride=1 pad=1 dil=1 groups=2 og=2 mask=1 bias=1");

    @Test
    void zeroOffsetsAndUnitMaskEqualConv2d() {
        ConvSpec spec = SMALL;
        ConvArgs args = Tensors.args(spec, 500, true, 1);
        Arrays.fill(args.offset().array(), 0f);
        Arrays.fill(args.mask().array(), 1f);
        ConvArgs conv = ConvArgs.conv2d(args.input(), args.weight(), args.bias(), Tensors.poisoned(spec));
        ReferenceConv.run(spec.asConv2d(), conv);
        try (CompiledConv plan = KernelSelector.compile(ctx, spec)) {
            plan.execute(args);
        }
        int bad = Tensors.firstMismatch(conv.output().array(), args.output().array());
        assertEquals(-1, bad, () -> spec + ": output[" + bad + "] differs from conv2d");
    }

    @Test
    void farAndInfiniteOffsetsSampleZero() {
        ConvSpec spec = SMALL.withRelu(false);
        float inf = Float.POSITIVE_INFINITY;
        float[][] fills = {{1e4f, -1e4f}, {inf, -inf}, {1e30f, -inf, -3e9f}};
        try (CompiledConv plan = KernelSelector.compile(ctx, spec)) {
            for (float[] fill : fills) {
                // Every sample outside the image: each output is exactly its bias.
                ConvArgs all = Tensors.args(spec, 600, true, 1);
                SplittableRandom rnd = new SplittableRandom(601);
                float[] off = all.offset().array();
                for (int i = 0; i < off.length; i++) {
                    off[i] = fill[rnd.nextInt(fill.length)];
                }
                plan.execute(all);
                float[] out = all.output().array();
                int plane = spec.outH() * spec.outW();
                for (int i = 0; i < out.length; i++) {
                    float bias = all.bias().array()[(i / plane) % spec.k()];
                    assertEquals(bias, out[i], spec + ": offsets " + Arrays.toString(fill) + ", output[" + i + "]");
                }
                // Some offsets far out, the rest integer: exactly the reference.
                ConvArgs mixed = Tensors.args(spec, 602, true, 3);
                float[] moff = mixed.offset().array();
                for (int i = 0; i < moff.length; i++) {
                    if (rnd.nextInt(3) == 0) {
                        moff[i] = fill[rnd.nextInt(fill.length)];
                    }
                }
                PlanChecks.checkExact(spec, plan, mixed);
            }
        }
    }

    @Test
    void nanOffsetsMakeTheirOutputsNaN() {
        ConvSpec spec = SMALL.withRelu(true);
        try (CompiledConv plan = KernelSelector.compile(ctx, spec)) {
            // All NaN (alone, or among infinities): every output is NaN, whatever the mask and weights.
            for (float[] fill : new float[][] {{Float.NaN}, {Float.NaN, Float.POSITIVE_INFINITY}}) {
                ConvArgs all = sentinelOutput(Tensors.args(spec, 610, true, 1), spec);
                SplittableRandom rnd = new SplittableRandom(611);
                float[] off = all.offset().array();
                for (int i = 0; i < off.length; i++) {
                    off[i] = i % 2 == 0 ? Float.NaN : fill[rnd.nextInt(fill.length)];
                }
                plan.execute(all);
                float[] out = all.output().array();
                for (int i = 0; i < out.length; i++) {
                    assertTrue(Float.isNaN(out[i]), spec + ": offsets " + Arrays.toString(fill) + ", output[" + i + "] = "
                            + out[i]);
                }
            }
            // A few NaN offsets: NaN exactly where the reference has it, the rest bit-equal.
            ConvArgs few = sentinelOutput(Tensors.args(spec, 612, true, 2), spec);
            float[] off = few.offset().array();
            SplittableRandom rnd = new SplittableRandom(613);
            for (int i = 0; i < 4; i++) {
                off[rnd.nextInt(off.length)] = Float.NaN;
            }
            ConvArgs ref = Tensors.withFreshOutput(few, spec);
            ReferenceConv.run(spec, ref);
            float[] want = ref.output().array();
            assertTrue(IntStream.range(0, want.length).anyMatch(i -> Float.isNaN(want[i])), "no NaN reached " + spec);
            plan.execute(few);
            float[] got = few.output().array();
            int bad = Tensors.firstMismatch(want, got);
            assertEquals(-1, bad, () -> spec + ": output[" + bad + "] = " + got[bad] + ", reference " + want[bad]);
        }
    }

    /** {@code a} with an output full of a finite sentinel, so a NaN in it was computed. */
    private static ConvArgs sentinelOutput(ConvArgs a, ConvSpec spec) {
        float[] out = new float[(int) spec.outputSize()];
        Arrays.fill(out, 12345f);
        return new ConvArgs(a.input(), a.weight(), a.bias(), a.offset(), a.mask(), Tensor.of(out, spec.outputShape()));
    }

    @Test
    void anyBatchSizeRunsInTheSameDeviceMemory() {
        ConvSpec one = SMALL.withBatch(1);
        ConvSpec many = SMALL.withBatch(40);
        long base = ctx.liveBytes();
        long oneBytes;
        try (CompiledConv plan = KernelSelector.compile(ctx, one)) {
            oneBytes = ctx.liveBytes() - base;
        }
        try (CompiledConv plan = KernelSelector.compile(ctx, many)) {
            long manyBytes = ctx.liveBytes() - base;
            long tensors = 4 * (many.inputSize() + many.weightSize() + many.k() + many.offsetSize() + many.maskSize()
                    + many.outputSize());
            long guards = 6L * ctx.guardBytes(); // the canary after each of the six buffers, when tests enable it
            assertEquals(tensors + guards, manyBytes, "device memory beyond the tensors for " + many);
            long perCall = 4 * (one.weightSize() + one.k()) + guards;
            assertEquals(40 * (oneBytes - perCall), manyBytes - perCall, "per-image memory of " + many + " vs " + one);
            PlanChecks.checkIntegersAndFloats(many, plan, 700, 2);
        }
    }

    @Test
    void candidatesRespectDeviceLimitsAndDefaultComesFirst() {
        ConvSpec spec = ConvSpec.parse("op=deform2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1 og=1 mask=1");
        OpenClDeviceInfo device = ctx.info();
        List<DeformGemmPlan.Tile> tiles = DeformGemmPlan.candidates(spec, device);
        assertFalse(tiles.isEmpty());
        assertEquals(DeformGemmPlan.defaultTile(spec, device).orElseThrow(), tiles.get(0));
        for (DeformGemmPlan.Tile t : tiles) {
            assertTrue(t.fits(spec, device), t + " listed but does not fit " + device);
        }
        assertThrows(IllegalArgumentException.class, () -> new DeformGemmPlan.Tile(16, 0, 1, 8, 1, 16, 1));
        assertThrows(IllegalArgumentException.class, () -> new DeformGemmPlan.Tile(5, 1, 1, 8, 1, 16, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new DeformGemmPlan(ctx, spec.asConv2d(), tiles.get(0)));
    }

    @Test
    void closingReleasesEverything() {
        int before = ctx.liveObjects();
        CompiledConv plan = KernelSelector.compile(ctx, SMALL);
        assertTrue(ctx.liveObjects() > before);
        plan.close();
        plan.close();
        assertEquals(before, ctx.liveObjects(), "objects left after closing " + plan.algorithm() + " for " + SMALL);
    }
}
