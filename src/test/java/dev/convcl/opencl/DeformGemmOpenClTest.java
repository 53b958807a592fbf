package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Activation;
import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.Engine;
import dev.convcl.Plan;
import dev.convcl.PostOps;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link DeformGemmPlan} ({@code deform2d_gemm.cl}) against the reference, on every tile it may be given. */
class DeformGemmOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    /** torchvision's own test problem (test_ops.py, TestDeformConv), batch 33. */
    private static final String TORCHVISION = "op=deform2d n=33 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1"
            + " groups=2 og=3 mask=1 bias=1";

    /**
     * Odd shapes through selection's default tile: sizes 1, 7, 13, 33; offset groups 1-4 (also
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
    void selectedDefaultTileMatchesReferenceOnOddShapes() {
        DEVICE.assertSelectionPicksAndMatches("deform-gemm[", EDGE_SPECS, 300, 0.5, 2, 10);
    }

    /**
     * Per tile: a problem whose channel chunks straddle offset groups, one whose chunks of 7
     * channels are sampled 4 at a time and then one by one, and torchvision's problem.
     */
    private static final String[] TILE_SPECS = {
        "op=deform2d n=2 c=10 h=7 w=13 k=36 kh=3 kw=3 pad=1 groups=2 og=5 mask=1 bias=1 relu=1",
        "op=deform2d n=1 c=14 h=6 w=5 k=9 kh=3 kw=3 pad=1 groups=1 og=2 mask=1 bias=1",
        TORCHVISION,
    };

    @Test
    void everyCandidateTileMatchesReference() {
        DEVICE.assertEveryTileMatches(TILE_SPECS, 400, 3, 6,
                DeformGemmPlan::candidates, DeformGemmPlan.Tile::fits, DeformGemmPlan::new);
    }

    /** A small spec with channels split into several chunks and two offset groups. */
    private static final DeformConv2d SMALL = DeformConv2d.parse(
            "op=deform2d n=2 c=4 h=7 w=13 k=6 kh=3 kw=3 stride=1 pad=1 dil=1 groups=2 og=2 mask=1 bias=1");

    @Test
    void zeroOffsetsAndUnitMaskEqualConv2d() {
        Convolution spec = SMALL;
        Args args = Tensors.args(spec, 500, true, 1);
        Arrays.fill(Tensors.array(args, Arg.OFFSET), 0f);
        Arrays.fill(Tensors.array(args, Arg.MASK), 1f);
        Args conv = args.with(Arg.OFFSET, null).with(Arg.MASK, null).with(Arg.DST, Tensors.poisoned(spec));
        ReferenceConv.run(spec.asConv2d(), conv);
        try (Primitive plan = Primitives.compile(DEVICE.backend(), spec)) {
            Primitives.run(DEVICE.backend(), plan, args);
        }
        int bad = Tensors.firstMismatch(Tensors.out(conv), Tensors.out(args));
        assertEquals(-1, bad, () -> spec + ": output[" + bad + "] differs from conv2d");
    }

    @Test
    void farAndInfiniteOffsetsSampleZero() {
        Convolution spec = SMALL.withPostOps(PostOps.none());
        float inf = Float.POSITIVE_INFINITY;
        float[][] fills = {{1e4f, -1e4f}, {inf, -inf}, {1e30f, -inf, -3e9f}};
        try (Primitive plan = Primitives.compile(DEVICE.backend(), spec)) {
            for (float[] fill : fills) {
                // Every sample outside the image: each output is exactly its bias.
                Args all = Tensors.args(spec, 600, true, 1);
                SplittableRandom rnd = new SplittableRandom(601);
                float[] off = Tensors.array(all, Arg.OFFSET);
                for (int i = 0; i < off.length; i++) {
                    off[i] = fill[rnd.nextInt(fill.length)];
                }
                Primitives.run(DEVICE.backend(), plan, all);
                float[] out = Tensors.out(all);
                int plane = spec.outH() * spec.outW();
                for (int i = 0; i < out.length; i++) {
                    float bias = Tensors.array(all, Arg.BIAS)[(i / plane) % spec.k()];
                    assertEquals(bias, out[i], spec + ": offsets " + Arrays.toString(fill) + ", output[" + i + "]");
                }
                // Some offsets far out, the rest integer: exactly the reference.
                Args mixed = Tensors.args(spec, 602, true, 3);
                float[] moff = Tensors.array(mixed, Arg.OFFSET);
                for (int i = 0; i < moff.length; i++) {
                    if (rnd.nextInt(3) == 0) {
                        moff[i] = fill[rnd.nextInt(fill.length)];
                    }
                }
                PlanChecks.checkExact(DEVICE.backend(), spec, plan, mixed);
            }
        }
    }

    @Test
    void nanOffsetsMakeTheirOutputsNaN() {
        Convolution spec = SMALL.withPostOps(PostOps.of(Activation.relu()));
        try (Primitive plan = Primitives.compile(DEVICE.backend(), spec)) {
            // All NaN (alone, or among infinities): every output is NaN, whatever the mask and weights.
            for (float[] fill : new float[][] {{Float.NaN}, {Float.NaN, Float.POSITIVE_INFINITY}}) {
                Args all = sentinelOutput(Tensors.args(spec, 610, true, 1), spec);
                SplittableRandom rnd = new SplittableRandom(611);
                float[] off = Tensors.array(all, Arg.OFFSET);
                for (int i = 0; i < off.length; i++) {
                    off[i] = i % 2 == 0 ? Float.NaN : fill[rnd.nextInt(fill.length)];
                }
                Primitives.run(DEVICE.backend(), plan, all);
                float[] out = Tensors.out(all);
                for (int i = 0; i < out.length; i++) {
                    assertTrue(Float.isNaN(out[i]), spec + ": offsets " + Arrays.toString(fill) + ", output[" + i + "] = "
                            + out[i]);
                }
            }
            // A few NaN offsets: NaN exactly where the reference has it, the rest bit-equal.
            Args few = sentinelOutput(Tensors.args(spec, 612, true, 2), spec);
            float[] off = Tensors.array(few, Arg.OFFSET);
            SplittableRandom rnd = new SplittableRandom(613);
            for (int i = 0; i < 4; i++) {
                off[rnd.nextInt(off.length)] = Float.NaN;
            }
            Args ref = Tensors.withFreshOutput(few, spec);
            ReferenceConv.run(spec, ref);
            float[] want = Tensors.out(ref);
            assertTrue(IntStream.range(0, want.length).anyMatch(i -> Float.isNaN(want[i])), "no NaN reached " + spec);
            Primitives.run(DEVICE.backend(), plan, few);
            float[] got = Tensors.out(few);
            int bad = Tensors.firstMismatch(want, got);
            assertEquals(-1, bad, () -> spec + ": output[" + bad + "] = " + got[bad] + ", reference " + want[bad]);
        }
    }

    /** {@code a} with an output full of a finite sentinel, so a NaN in it was computed. */
    private static Args sentinelOutput(Args a, Convolution spec) {
        float[] out = new float[(int) spec.outputSize()];
        Arrays.fill(out, 12345f);
        return a.with(Arg.DST, Tensor.of(out, spec.outputShape()));
    }

    /**
     * deform2d_gemm.cl's primitive holds no device memory that grows with the batch (its tiles
     * sample into local memory): a plan's device memory is its arguments' and nothing else, for one
     * image as for 40. (deform2d_cm.cl's holds a channels-last copy of the input: DeformCmOpenClTest.)
     */
    @Test
    void anyBatchSizeRunsInTheSameDeviceMemory() {
        DeformConv2d one = SMALL.withBatch(1);
        DeformConv2d many = SMALL.withBatch(40);
        OpenClDeviceInfo info = DEVICE.context().info();
        long base = DEVICE.context().liveBytes();
        try (Primitive plan = new DeformGemmPlan(DEVICE.context(), one, DeformGemmPlan.defaultTile(one, info).orElseThrow())) {
            assertEquals(base, DEVICE.context().liveBytes(), "device memory held by the primitive for " + one);
        }
        DeformGemmPlan.Tile tile = DeformGemmPlan.defaultTile(many, info).orElseThrow();
        try (Primitive plan = new DeformGemmPlan(DEVICE.context(), many, tile)) {
            assertEquals(base, DEVICE.context().liveBytes(), "device memory held by the primitive for " + many);
            PlanChecks.checkIntegersAndFloats(DEVICE.backend(), many, plan, 700, 2);
        }
        try (Engine engine = OpenClTestDevice.engine(); Plan plan = engine.plan(many, "deform-gemm", tile.toString())) {
            OpenClContext planCtx = OpenClTestDevice.context(engine);
            long before = planCtx.liveBytes();
            Args args = Tensors.args(many, 701, true, 2);
            float[] expected = CrossCheck.reference(many, args);
            plan.execute(args);
            CrossCheck.assertExact(many, "40 images through a plan", expected, Tensors.out(args));
            long tensors = 4 * (many.inputSize() + many.weightSize() + many.k() + many.offsetSize() + many.maskSize()
                    + many.outputSize());
            // after each of the six buffers the backend's read slack, and the canary when tests enable it
            long guards = 6L * (planCtx.guardBytes() + OpenClBackend.READ_SLACK_BYTES);
            assertEquals(tensors + guards, planCtx.liveBytes() - before,
                    "device memory beyond the staged tensors for " + many);
        }
    }

    @Test
    void candidatesRespectDeviceLimitsAndDefaultComesFirst() {
        Convolution spec = Problems.parse("op=deform2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1 og=1 mask=1");
        List<DeformGemmPlan.Tile> tiles = DEVICE.assertCandidatesFitDefaultFirst(spec, DeformGemmPlan::candidates,
                DeformGemmPlan::defaultTile, DeformGemmPlan.Tile::fits);
        assertThrows(IllegalArgumentException.class, () -> new DeformGemmPlan.Tile(16, 0, 1, 8, 1, 16, 1));
        assertThrows(IllegalArgumentException.class, () -> new DeformGemmPlan.Tile(5, 1, 1, 8, 1, 16, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new DeformGemmPlan(DEVICE.context(), spec.asConv2d(), tiles.get(0)));
    }

    @Test
    void closingReleasesEverything() {
        DEVICE.assertClosingReleasesEverything(SMALL);
    }

    /**
     * Deformable sampling at its edges ({@link DeformEdgeCases}) on a wide map with a CPU and a GPU
     * tile. The tile decides how the sampling table is spread over work-items (one work-item with no
     * barrier on CPUs, many with barriers on GPUs); every tile shares the table code, so one of
     * each kind suffices here ({@link #everyCandidateTileMatchesReference} runs every candidate
     * against the reference).
     */
    @Test
    void cpuAndGpuTilesAgreeWithFloat64OnAWideMap() {
        DeformConv2d spec = DeformEdgeCases.wideMaps().get(3);
        DeformGemmPlan.Tile cpuTile = DeformGemmPlan.candidates(spec, DEVICE.context().info()).get(0);
        DeformGemmPlan.Tile gpuTile = DeformGemmPlan.candidates(spec, PlanChecks.asGpu(DEVICE.context().info())).stream()
                .filter(t -> t.wgs() > 1 && t.fits(spec, DEVICE.context().info())).findFirst().orElseThrow();
        for (DeformGemmPlan.Tile t : List.of(cpuTile, gpuTile)) {
            BiConsumer<Convolution, Args> run = (s, args) -> {
                try (DeformGemmPlan plan = new DeformGemmPlan(DEVICE.context(), s, t)) {
                    Primitives.run(DEVICE.backend(), plan, args);
                }
            };
            DeformEdgeCases.checkWideMaps("deform-gemm " + t, List.of(spec), run);
        }
    }
}
