package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link DeformCmPlan} ({@code deform2d_cm.cl}: the input channels-last, channel vectors) against
 * the reference: every candidate tile and some odd ones on odd shapes, the hand-computed edge cases
 * (NaN and infinite offsets, samples on the border) and wide maps against float64.
 */
class DeformCmOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    /**
     * Odd shapes: torchvision's own test problem (batch 33, groups 2, 3 offset groups), channel
     * chunks that straddle offset groups, channel counts that leave a partial vector (37, 40),
     * output channels that do not fill a register tile, a 1x1 map, dilation and padding that differ
     * between the axes, a map of at most DEFORM_SMALL_PLANE pixels and one just above it.
     */
    private static final String[] SPECS = {
        "op=deform2d n=33 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=1 bias=1",
        "op=deform2d n=2 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=0 relu=1",
        "op=deform2d n=1 c=4 h=13 w=7 k=6 kh=3 kw=3 pad=1 groups=2 og=4 mask=1 bias=1 relu=1",
        "op=deform2d n=2 c=8 h=7 w=13 k=4 kh=3 kw=3 pad=1 groups=1 og=2 mask=0 bias=1",
        "op=deform2d n=1 c=3 h=33 w=33 k=5 kh=3 kw=3 stride=2 pad=1 groups=1 og=1 mask=1",
        "op=deform2d n=1 c=2 h=1 w=1 k=3 kh=1 kw=1 groups=1 og=1 mask=1 bias=1",
        "op=deform2d n=3 c=4 h=13 w=13 k=20 kh=3 kw=3 pad=1 groups=1 og=1 mask=0",
        "op=deform2d n=1 c=40 h=7 w=7 k=8 kh=3 kw=3 pad=4,1 dil=4,1 groups=2 og=4 mask=1 bias=1",
        "op=deform2d n=2 c=10 h=7 w=13 k=36 kh=3 kw=3 pad=1 groups=2 og=5 mask=1 bias=1 relu=1",
        "op=deform2d n=1 c=37 h=6 w=5 k=40 kh=3 kw=3 pad=1 groups=1 og=1 mask=1 bias=1",
        "op=deform2d n=2 c=64 h=8 w=8 k=40 kh=3 kw=3 pad=1 groups=1 og=1 mask=1 bias=1",
        "op=deform2d n=1 c=20 h=9 w=9 k=33 kh=3 kw=3 pad=1 groups=1 og=2 mask=0",
    };

    /** Tiles beyond the candidates: narrow vectors, one pixel, chunks of fewer channels than a vector. */
    private static final List<DeformCmPlan.Tile> ODD_TILES = List.of(
            new DeformCmPlan.Tile(8, 1, 5, 3, 2, 7), new DeformCmPlan.Tile(4, 3, 3, 1, 1, 16),
            new DeformCmPlan.Tile(1, 1, 1, 1, 1, 1), new DeformCmPlan.Tile(16, 1, 2, 5, 1, 3));

    @Test
    void everyCandidateAndOddTileMatchesReference() {
        long seed = 900;
        for (String line : SPECS) {
            Convolution spec = Problems.parse(line);
            Set<DeformCmPlan.Tile> tiles = new LinkedHashSet<>(DeformCmPlan.candidates(spec, DEVICE.context().info()));
            assertTrue(tiles.size() >= 4, "expected the CPU candidate list, got " + tiles + " for " + spec);
            tiles.addAll(ODD_TILES);
            for (DeformCmPlan.Tile t : tiles) {
                try (Primitive plan = new DeformCmPlan(DEVICE.context(), spec, t)) {
                    PlanChecks.checkIntegersAndFloats(DEVICE.backend(), spec, plan, seed++, 3);
                }
            }
        }
    }

    /** Selection on this CPU device takes a deform2d_cm.cl tile for DCNv2's layers. */
    @Test
    void selectionTakesTheChannelVectorKernelOnCpuDevices() {
        Convolution spec = Problems.parse("op=deform2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1 og=1 mask=1");
        try (Primitive plan = Primitives.compile(DEVICE.backend(), spec)) {
            assertTrue(plan.algorithm().startsWith("deform-gemm[cm "), plan.algorithm());
        }
        assertTrue(DeformCmPlan.candidates(spec, PlanChecks.asGpu(DEVICE.context().info())).isEmpty(),
                "a GPU keeps deform2d_gemm.cl's work-group tiles");
    }

    @Test
    void handComputedEdgeCasesAndWideMaps() {
        DeformConv2d any = DeformEdgeCases.wideMaps().get(3);
        for (DeformCmPlan.Tile t : List.of(DeformCmPlan.candidates(any, DEVICE.context().info()).get(0),
                new DeformCmPlan.Tile(4, 1, 3, 2, 1, 5))) {
            BiConsumer<Convolution, Args> run = (s, args) -> {
                try (DeformCmPlan plan = new DeformCmPlan(DEVICE.context(), s, t)) {
                    Primitives.run(DEVICE.backend(), plan, args);
                }
            };
            DeformEdgeCases.checkHandComputed("deform-gemm " + t, false, run);
            DeformEdgeCases.checkWideMaps("deform-gemm " + t, run);
        }
    }

    @Test
    void tileTextRoundTripsAndBadTilesAreRefused() {
        DeformCmPlan.Tile t = new DeformCmPlan.Tile(16, 2, 14, 4, 8, 64);
        assertEquals("cm vw=16 mv=2 tn=14 npt=4 nkt=8 cc=64", t.toString());
        assertEquals(t, DeformCmPlan.Tile.parse(t.toString()));
        assertEquals(t, KernelFamily.deformTile(t.toString()));
        assertEquals(DeformGemmPlan.Tile.parse("vw=16 pv=2 npt=1 kt=8 nkt=8 cc=16 wg=1"),
                KernelFamily.deformTile("vw=16 pv=2 npt=1 kt=8 nkt=8 cc=16 wg=1"));
        assertThrows(IllegalArgumentException.class, () -> new DeformCmPlan.Tile(16, 0, 14, 1, 1, 64));
        assertThrows(IllegalArgumentException.class, () -> new DeformCmPlan.Tile(16, 2, DeformCmPlan.MAX_TN + 1, 1, 1, 64));
        assertThrows(IllegalArgumentException.class, () -> new DeformCmPlan.Tile(5, 2, 14, 1, 1, 64));
        assertThrows(IllegalArgumentException.class, () -> DeformCmPlan.Tile.parse("cm vw=16 mv=2 tn=14"));
        Convolution dense = Problems.parse("op=conv2d n=1 c=8 h=8 w=8 k=8 kh=3 kw=3 pad=1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DeformCmPlan(DEVICE.context(), dense, t));
        assertTrue(e.getMessage().contains("op=deform2d"), e.getMessage());
    }

    /**
     * Device memory a plan holds beyond the call's tensors: the channels-last copy of the input
     * (n*c*h*w floats, so it grows with the batch) and the weight panels, each with at most the
     * backend's read slack and the tests' canary after it.
     */
    @Test
    void holdsTheChannelsLastInputAndTheWeightPanels() {
        for (int n : new int[] {1, 40}) {
            DeformConv2d spec = ((DeformConv2d) Problems.parse(SPECS[3])).withBatch(n);
            DeformCmPlan.Tile t = DeformCmPlan.candidates(spec, DEVICE.context().info()).get(0);
            long nhwc = 4L * spec.inputSize();
            long panels = 4L * spec.groups() * ((spec.kPerGroup() + t.tileChannels() - 1) / t.tileChannels())
                    * t.tileChannels() * spec.kh() * spec.kw() * spec.cPerGroup();
            long base = DEVICE.context().liveBytes();
            try (Primitive plan = new DeformCmPlan(DEVICE.context(), spec, t)) {
                long held = DEVICE.context().liveBytes() - base;
                long slack = 2L * (DEVICE.context().guardBytes() + OpenClBackend.READ_SLACK_BYTES);
                assertTrue(held >= nhwc + panels && held <= nhwc + panels + slack,
                        "held " + held + " bytes, expected " + (nhwc + panels) + " to " + (nhwc + panels + slack) + " for " + spec);
            }
            assertEquals(base, DEVICE.context().liveBytes(), "bytes left after closing the plan for " + spec);
        }
    }

    /**
     * The plan's own buffers (the channels-last input, the weight panels, and the panels of weights
     * a call passes, made by such a call) go when it closes, and closing twice is quiet.
     */
    @Test
    void closingReleasesEverything() {
        Convolution spec = Problems.parse(SPECS[2]);
        int before = DEVICE.context().liveObjects();
        long bytes = DEVICE.context().liveBytes();
        Primitive plan = new DeformCmPlan(DEVICE.context(), spec, DeformCmPlan.candidates(spec, DEVICE.context().info()).get(0));
        int planObjects = DEVICE.context().liveObjects();
        assertTrue(planObjects > before);
        Args args = Tensors.args(spec, 77, true, 2);
        float[] expected = CrossCheck.reference(spec, args);
        Primitives.run(DEVICE.backend(), plan, args); // weights passed with the call: their own panels
        CrossCheck.assertExact(spec, "a call with its own weights", expected, Tensors.out(args));
        plan.close();
        plan.close();
        assertEquals(before, DEVICE.context().liveObjects(), "objects left after closing " + plan.algorithm());
        assertEquals(bytes, DEVICE.context().liveBytes(), "bytes left after closing " + plan.algorithm());
    }

    /**
     * NaN and infinite inputs and offsets on the vector path of the sampling (channel counts of one
     * and two vectors and a partial one, so VW channels are sampled at a time) and on one-lane tiles:
     * a NaN or infinite pixel reaches exactly the outputs whose samples take it with a weight, never
     * one whose neighbour outside the image was read in its place (index 0, the first pixel,
     * poisoned here); NaN offsets make their outputs NaN. Compared with the reference: the same
     * NaN and infinity positions, the finite outputs within the cross-check's tolerance.
     */
    @Test
    void nonFiniteInputsAndOffsetsOnTheChannelVectors() {
        long seed = 4000;
        for (String line : new String[] {
            "op=deform2d n=1 c=32 h=6 w=7 k=20 kh=3 kw=3 pad=1 og=1 mask=1 bias=1",
            "op=deform2d n=2 c=37 h=5 w=9 k=33 kh=3 kw=3 pad=1 og=1 mask=0",
            "op=deform2d n=1 c=48 h=8 w=7 k=8 kh=3 kw=3 pad=1 og=3 mask=1"}) {
            Convolution spec = Problems.parse(line);
            for (DeformCmPlan.Tile t : List.of(DeformCmPlan.candidates(spec, DEVICE.context().info()).get(0),
                    new DeformCmPlan.Tile(1, 1, 1, 1, 1, 1), new DeformCmPlan.Tile(8, 2, 3, 2, 1, 16))) {
                Args args = Tensors.args(spec, seed++, false, 4);
                float[] in = Tensors.array(args, Arg.SRC);
                int hw = spec.h() * spec.w();
                for (int c = 0; c < spec.c(); c++) {
                    in[c * hw] = Float.NaN;                     // the first pixel: index 0 of the table
                    in[c * hw + hw - 1] = c % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                }
                float[] off = Tensors.array(args, Arg.OFFSET);
                off[3] = Float.NaN;
                off[off.length - 2] = Float.POSITIVE_INFINITY;
                off[off.length / 2] = -1e9f;
                float[] expected = CrossCheck.reference(spec, args);
                try (DeformCmPlan plan = new DeformCmPlan(DEVICE.context(), spec, t)) {
                    Primitives.run(DEVICE.backend(), plan, args);
                }
                float[] got = Tensors.out(args);
                int nonFinite = 0;
                for (int i = 0; i < expected.length; i++) {
                    String where = t + " " + spec + " output " + i + ": expected " + expected[i] + ", got " + got[i];
                    if (Float.isFinite(expected[i])) {
                        assertTrue(Math.abs(got[i] - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])), where);
                    } else {
                        nonFinite++;
                        assertEquals(Float.isNaN(expected[i]), Float.isNaN(got[i]), where);
                        if (!Float.isNaN(expected[i])) {
                            assertEquals(expected[i], got[i], where);
                        }
                    }
                }
                assertTrue(nonFinite > 0 && nonFinite < expected.length, "the poison reached " + nonFinite
                        + " of " + expected.length + " outputs for " + spec);
            }
        }
    }
}
