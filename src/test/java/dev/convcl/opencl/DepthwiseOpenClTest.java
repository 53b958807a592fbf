package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link DepthwisePlan} and {@link DepthwiseRowsPlan} ({@code depthwise.cl}, staged and row-reuse),
 * {@link DepthwisePlanePlan} ({@code depthwise_plane.cl}) and {@link DepthwiseMapPlan}
 * ({@code depthwise_map.cl}) against the reference, on every tile they may be given.
 */
class DepthwiseOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    /**
     * Odd shapes through selection's default tile: sizes 1, 7, 13, 33; kernels 1x1 to 31x31;
     * stride 1-3, dilation 1-4, padding 0-4 (and up to kh/2 for large kernels) differing between
     * the axes, multiplier 1 and 2, batch 1-3, bias and ReLU on and off; rows 77-101 wide (5-7
     * vectors of 16, the whole-row tile) at stride 1 and 2.
     */
    private static final String[] EDGE_SPECS = {
        "op=conv2d n=1 c=1 h=1 w=1 k=1 kh=1 kw=1 groups=1",
        "op=conv2d n=3 c=2 h=7 w=13 k=4 kh=3 kw=3 stride=1 pad=1 bias=1 relu=1 groups=2",
        "op=conv2d n=1 c=3 h=33 w=7 k=3 kh=5 kw=5 stride=2 pad=2,4 bias=1 groups=3",
        "op=conv2d n=2 c=2 h=13 w=33 k=4 kh=1 kw=7 stride=1,3 pad=0,3 dil=1,2 bias=1 groups=2",
        "op=conv2d n=1 c=3 h=33 w=13 k=6 kh=7 kw=1 stride=3,1 pad=4,0 dil=4,1 relu=1 groups=3",
        "op=conv2d n=2 c=2 h=13 w=7 k=2 kh=3 kw=3 stride=2,3 pad=0,4 dil=3,4 groups=2",
        "op=conv2d n=1 c=3 h=13 w=13 k=3 kh=5 kw=5 stride=1 pad=4,1 dil=2,1 relu=1 groups=3",
        "op=conv2d n=1 c=2 h=33 w=33 k=2 kh=13 kw=13 pad=6 bias=1 relu=1 groups=2",
        "op=conv2d n=1 c=2 h=7 w=33 k=2 kh=13 kw=13 pad=3,6 groups=2",
        "op=conv2d n=1 c=1 h=33 w=33 k=2 kh=31 kw=31 pad=15 bias=1 groups=1",
        "op=conv2d n=2 c=1 h=13 w=13 k=1 kh=31 kw=31 stride=2 pad=15,9 relu=1 groups=1",
        "op=conv2d n=1 c=1 h=1 w=33 k=1 kh=1 kw=31 pad=0,15 groups=1",
        "op=conv2d n=2 c=2 h=33 w=1 k=4 kh=7 kw=1 stride=2 pad=3,0 bias=1 groups=2",
        // rows of 5 to 7 vectors, the last one partial (one tile across the row with AVX-512)
        "op=conv2d n=2 c=2 h=11 w=101 k=4 kh=3 kw=3 stride=1 pad=1 bias=1 relu=1 groups=2",
        "op=conv2d n=1 c=3 h=15 w=181 k=3 kh=3 kw=3 stride=2 pad=1 bias=1 groups=3",
        "op=conv2d n=1 c=2 h=9 w=77 k=2 kh=5 kw=5 stride=1 pad=2 dil=1,2 groups=2",
    };

    @Test
    void selectedDefaultTileMatchesReferenceOnOddShapes() {
        DEVICE.assertSelectionPicksAndMatches("depthwise[", EDGE_SPECS, 100, 0);
    }

    /**
     * Problems for every tile: stride 1 (the row-reuse loop, unrolled where a tile has at most two
     * vectors a row) and strided, dilated (the general loop); a 14x14 map with 3x3 taps, multiplier
     * 2 and batch 2 (rows narrower than a vector: the partial-vector store); stride 2 along x on
     * rows whose inside positions stage as runs of 16, 8, 4, 2 and 1 (the de-interleaving copies).
     */
    private static final String[] TILE_SPECS = {
        "op=conv2d n=2 c=3 h=13 w=33 k=6 kh=5 kw=3 stride=1 pad=2,1 dil=1,2 bias=1 relu=1 groups=3",
        "op=conv2d n=1 c=2 h=33 w=13 k=2 kh=3 kw=5 stride=2,3 pad=3,2 dil=2,1 bias=1 groups=2",
        "op=conv2d n=2 c=2 h=14 w=14 k=4 kh=3 kw=3 stride=1 pad=1 bias=1 groups=2",
        "op=conv2d n=1 c=3 h=9 w=123 k=3 kh=3 kw=3 stride=1,2 pad=1 dil=2,1 relu=1 groups=3",
    };

    @Test
    void everyCandidateTileMatchesReference() {
        DEVICE.assertEveryTileMatches(TILE_SPECS, 200, 0, 10,
                DepthwisePlan::candidates, DepthwisePlan.Tile::fits, DepthwisePlan::new);
    }

    /**
     * Odd shapes for the row-reuse kernel (depthwise-rows): kernels 13, 27, 31 and 5; a map smaller
     * than the kernel; padding that differs between the axes; stride 2; stride and dilation along x
     * only (the row-reuse loop on phase-split rows) and along y (the general loop); multiplier 2;
     * batch 2; bias and ReLU.
     */
    private static final String[] ROWS_SPECS = {
        "op=conv2d n=2 c=3 h=17 w=23 k=3 kh=13 kw=13 pad=6 bias=1 relu=1 groups=3",
        "op=conv2d n=1 c=2 h=9 w=11 k=4 kh=27 kw=27 pad=13,11 bias=1 groups=2",
        "op=conv2d n=1 c=1 h=33 w=35 k=1 kh=31 kw=31 pad=15 groups=1",
        "op=conv2d n=2 c=2 h=13 w=19 k=2 kh=5 kw=5 stride=2 pad=2 bias=1 groups=2",
        "op=conv2d n=1 c=3 h=15 w=21 k=3 kh=13 kw=9 stride=1,2 pad=6,4 dil=1,2 groups=3",
        "op=conv2d n=1 c=2 h=21 w=15 k=2 kh=7 kw=13 pad=6 dil=2,1 relu=1 groups=2",
    };

    /**
     * Row-reuse tiles that reach every path of the kernel: 16- to 1-wide vectors, several vectors
     * a row, 1 to 7 rows (one row takes the general loop), and 1 to 4 channels a work-group, also
     * where the channels do not divide into whole groups.
     */
    private static final List<DepthwiseRowsPlan.Tile> ROWS_TILES = List.of(new DepthwiseRowsPlan.Tile(16, 4, 4, 1),
            new DepthwiseRowsPlan.Tile(8, 1, 7, 4), new DepthwiseRowsPlan.Tile(4, 2, 3, 2),
            new DepthwiseRowsPlan.Tile(1, 1, 2, 1), new DepthwiseRowsPlan.Tile(16, 1, 1, 3));

    @Test
    void rowReuseTilesMatchReferenceOnOddShapes() {
        DEVICE.assertEveryTileMatches(ROWS_SPECS, 300, 0, ROWS_TILES.size(),
                fixedThenPreferred(ROWS_TILES, DepthwiseRowsPlan::candidates), DepthwiseRowsPlan.Tile::fits,
                DepthwiseRowsPlan::new);
    }

    @Test
    void selectionTakesTheRowReuseKernelWhereTheDeviceProfilePrefersIt() {
        DeviceProfile p = DeviceProfile.of(DEVICE.context().info());
        assertSelectionFollowsPreference(p::prefersRows, "depthwise[rows ", "depthwise[vw=", 400, ROWS_SPECS[0], ROWS_SPECS[2]);
        assertThrows(IllegalArgumentException.class, () -> new DepthwiseRowsPlan.Tile(8, 1, 1, 0));
    }

    /**
     * Odd stride-1 shapes for the plane kernel (depthwise-plane): kernels larger than the map (13x13
     * on 7x7, 27x27 on 14x13 with padding that differs between the axes and a narrower output),
     * a map wider than the kernel (windows partly inside), dilation along both axes, a 1x1 map,
     * a 1x9 kernel, padding that differs before and after an axis; multiplier 2; batch 2 and 3;
     * bias and ReLU.
     */
    private static final String[] PLANE_SPECS = {
        "op=conv2d n=2 c=3 h=7 w=7 k=3 kh=13 kw=13 pad=6 bias=1 relu=1 groups=3",
        "op=conv2d n=1 c=2 h=14 w=13 k=4 kh=27 kw=27 pad=13,11 bias=1 groups=2",
        "op=conv2d n=3 c=2 h=9 w=23 k=2 kh=5 kw=5 pad=2 groups=2",
        "op=conv2d n=1 c=3 h=11 w=10 k=3 kh=7 kw=5 pad=6,4 dil=2,3 relu=1 groups=3",
        "op=conv2d n=2 c=2 h=1 w=1 k=4 kh=3 kw=3 pad=1 bias=1 groups=2",
        "op=conv2d n=1 c=2 h=5 w=3 k=2 kh=1 kw=9 pad=0,4 groups=2",
        "op=conv2d n=1 c=3 h=6 w=19 k=3 kh=3 kw=5 pad=3,0,0,4 dil=2,1 bias=1 groups=3",
    };

    /**
     * Plane tiles that reach every path of the kernel: 16- to 1-wide vectors (one to four a row,
     * the last partial or whole), 1 to 14 rows (more rows than the map, a last tile cut short),
     * weight vectors held 1, 3, 5 or 14 at a time (the last step short), 1 to 4 channels a work-group,
     * also where the channels do not divide into whole groups. Each spec runs those that fit it.
     */
    private static final List<DepthwisePlanePlan.Tile> PLANE_TILES = List.of(new DepthwisePlanePlan.Tile(16, 14, 14, 1),
            new DepthwisePlanePlan.Tile(8, 7, 7, 4), new DepthwisePlanePlan.Tile(4, 3, 5, 2),
            new DepthwisePlanePlan.Tile(2, 1, 1, 3), new DepthwisePlanePlan.Tile(1, 2, 3, 1),
            new DepthwisePlanePlan.Tile(16, 5, 3, 3));

    @Test
    void planeTilesMatchReferenceOnOddShapes() {
        DEVICE.assertEveryTileMatches(PLANE_SPECS, 500, 0, 3,
                fixedThenPreferred(PLANE_TILES, DepthwisePlanePlan::candidates), DepthwisePlanePlan.Tile::fits,
                DepthwisePlanePlan::new);
    }

    /**
     * The plane kernel reads weights that {@code depthwise_plane_pack} padded: bound weights are
     * padded once and used by every call that passes none; weights passed with a call are padded
     * for that call alone, after which the bound ones hold again. Each output exact against the
     * reference with the weights it should have read (integer data).
     */
    @Test
    void planeKernelPadsBoundWeightsOnceAndPassedWeightsForTheirCallAlone() {
        Convolution spec = Problems.parse(PLANE_SPECS[0]);
        Args a = Tensors.args(spec, 900, true, 0);
        Args b = Tensors.args(spec, 901, true, 0);
        OpenClBackend backend = DEVICE.backend();
        try (Primitive plan = new DepthwisePlanePlan(DEVICE.context(), spec, new DepthwisePlanePlan.Tile(8, 7, 7, 4))) {
            assertFalse(plan.readsBound(Arg.WEIGHTS), "the plan keeps its own padded copy");
            HostTensor w = (HostTensor) a.get(Arg.WEIGHTS);
            try (Memory m = backend.allocate("weights", (long) w.size() * 4)) {
                backend.write(m, w);
                plan.bind(Arg.WEIGHTS, m);
            }
            Args withoutWeights = Tensors.without(a, Arg.WEIGHTS);
            assertEquals(-1, Tensors.firstMismatch(CrossCheck.reference(spec, a),
                    Primitives.output(backend, plan, spec, withoutWeights)), "bound weights");
            Args passed = withoutWeights.with(Arg.WEIGHTS, b.get(Arg.WEIGHTS));
            assertEquals(-1, Tensors.firstMismatch(CrossCheck.reference(spec, passed),
                    Primitives.output(backend, plan, spec, passed)), "weights passed with the call");
            assertEquals(-1, Tensors.firstMismatch(CrossCheck.reference(spec, a),
                    Primitives.output(backend, plan, spec, withoutWeights)), "bound weights after a call's own");
        }
        try (Primitive unbound = new DepthwisePlanePlan(DEVICE.context(), spec, new DepthwisePlanePlan.Tile(8, 7, 7, 4))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Primitives.output(backend, unbound, spec, Tensors.without(a, Arg.WEIGHTS)));
            assertTrue(e.getMessage().contains("weight"), e.getMessage());
        }
    }

    @Test
    void selectionTakesThePlaneKernelWhereMostTapsArePaddingAndItRunsStrideOneOnly() {
        DeviceProfile p = DeviceProfile.of(DEVICE.context().info());
        assertSelectionFollowsPreference(p::prefersPlane, "depthwise[plane ", "depthwise[", 600,
                PLANE_SPECS[0], PLANE_SPECS[1], PLANE_SPECS[2]);
        // where every window is mostly padding a CPU device prefers it; where the map is wider, not
        assertEquals(DEVICE.context().info().isCpu(), p.prefersPlane(Problems.parse(PLANE_SPECS[0])));
        assertFalse(p.prefersPlane(Problems.parse(PLANE_SPECS[2])));
        Convolution strided = Problems.parse("op=conv2d n=1 c=2 h=7 w=7 k=2 kh=13 kw=13 stride=2 pad=6 groups=2");
        assertEquals(List.of(), DepthwisePlanePlan.candidates(strided, DEVICE.context().info()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DepthwisePlanePlan(
                DEVICE.context(), strided, new DepthwisePlanePlan.Tile(8, 7, 7, 1)));
        assertTrue(e.getMessage().contains("stride 1"), e.getMessage());
        Convolution wide = Problems.parse("op=conv2d n=1 c=2 h=7 w=70 k=2 kh=13 kw=13 pad=6 groups=2");
        assertFalse(new DepthwisePlanePlan.Tile(16, 7, 7, 1).fits(wide, DEVICE.context().info()));
        assertThrows(IllegalArgumentException.class, () -> new DepthwisePlanePlan.Tile(8, 0, 7, 1));
        assertThrows(IllegalArgumentException.class, () -> new DepthwisePlanePlan.Tile(6, 1, 7, 1));
    }

    /**
     * Odd shapes for the map kernel (depthwise-map): MobileNet's 14x14 and 7x7 at stride 1 and 2;
     * 5x5 taps at stride 2 on an odd map; stride, dilation and padding that differ between the axes
     * and before and after them; a 1x1 map and a 1x1 output; output rows exactly 16 wide and 16
     * high (the whole-vector store, every accumulator); a 9x9 kernel (the most taps); rows of 29
     * (two vectors and more) and a map of 19 rows (row tiles, the last one cut short, and rows
     * outside the image at the tiles' edges); multiplier 2; batch 2 and 3; bias and ReLU.
     */
    private static final String[] MAP_SPECS = {
        "op=conv2d n=2 c=3 h=14 w=14 k=6 kh=3 kw=3 pad=1 bias=1 relu=1 groups=3",
        "op=conv2d n=1 c=4 h=14 w=14 k=4 kh=3 kw=3 stride=2 pad=1 groups=4",
        "op=conv2d n=3 c=2 h=7 w=7 k=2 kh=5 kw=5 stride=2 pad=2 bias=1 groups=2",
        "op=conv2d n=1 c=3 h=13 w=11 k=3 kh=3 kw=5 stride=2,1 pad=3,2 dil=2,1 relu=1 groups=3",
        "op=conv2d n=1 c=2 h=9 w=10 k=4 kh=3 kw=3 stride=1,2 pad=0,2,3,1 groups=2 bias=1",
        "op=conv2d n=2 c=2 h=1 w=1 k=4 kh=3 kw=3 pad=1 bias=1 groups=2",
        "op=conv2d n=1 c=2 h=5 w=5 k=2 kh=5 kw=5 groups=2",
        "op=conv2d n=1 c=2 h=16 w=16 k=2 kh=3 kw=3 pad=1 bias=1 groups=2",
        "op=conv2d n=1 c=2 h=8 w=16 k=2 kh=9 kw=9 pad=4,2 dil=1,2 relu=1 groups=2",
        "op=conv2d n=2 c=2 h=20 w=29 k=4 kh=3 kw=3 pad=1 bias=1 groups=2",
        "op=conv2d n=1 c=3 h=37 w=9 k=3 kh=5 kw=3 stride=2,1 pad=2,1 dil=1 relu=1 groups=3",
        // register rows: stride 2 along x with dilation 2, several vectors a row; stride 2 with a
        // 5x5 kernel; and a kernel wider than 9, whose taps come from lane loads
        "op=conv2d n=1 c=2 h=7 w=60 k=4 kh=3 kw=3 stride=1,2 pad=1,3 dil=1,2 groups=2 bias=1",
        "op=conv2d n=2 c=3 h=11 w=45 k=3 kh=5 kw=5 stride=2 pad=2 groups=3 relu=1",
        "op=conv2d n=1 c=2 h=4 w=30 k=2 kh=1 kw=11 pad=0,5 groups=2 bias=1",
        // padding of more than two 2-float vectors on the left; dilation 3 at stride 2; and stride 3
        // on rows of several vectors (lane loads)
        "op=conv2d n=1 c=2 h=5 w=12 k=2 kh=3 kw=3 pad=0,5 groups=2",
        "op=conv2d n=1 c=2 h=6 w=40 k=4 kh=3 kw=3 stride=1,2 pad=1,4 dil=1,3 groups=2 bias=1",
        "op=conv2d n=1 c=2 h=9 w=80 k=2 kh=3 kw=3 stride=3 pad=1 groups=2 relu=1",
    };

    /**
     * Map tiles that reach every path of the kernel: 16- to 1-wide vectors, one to eight a row (the
     * row's last lanes unused, or the row exactly its vectors), whole planes and row tiles of 1 to 5
     * rows, 1 to 4 planes a work-item, also where the planes do not divide into whole work-items.
     * Each spec runs those that fit it.
     */
    private static final List<DepthwiseMapPlan.Tile> MAP_TILES = List.of(new DepthwiseMapPlan.Tile(16, 1, 16, 1),
            new DepthwiseMapPlan.Tile(16, 2, 3, 2), new DepthwiseMapPlan.Tile(8, 4, 5, 3),
            new DepthwiseMapPlan.Tile(4, 8, 2, 1), new DepthwiseMapPlan.Tile(2, 8, 1, 2),
            new DepthwiseMapPlan.Tile(1, 8, 1, 1), new DepthwiseMapPlan.Tile(8, 1, 7, 4),
            new DepthwiseMapPlan.Tile(16, 1, 1, 3));

    @Test
    void mapTilesMatchReferenceOnOddShapes() {
        DEVICE.assertEveryTileMatches(MAP_SPECS, 700, 0, 1,
                fixedThenPreferred(MAP_TILES, DepthwiseMapPlan::candidates), DepthwiseMapPlan.Tile::fits,
                DepthwiseMapPlan::new);
    }

    @Test
    void selectionTakesTheMapKernelWhereTheDeviceProfilePrefersItAndOnlyWhereItFits() {
        DeviceProfile p = DeviceProfile.of(DEVICE.context().info());
        assertSelectionFollowsPreference(p::prefersMap, "depthwise[map ", "depthwise[", 800,
                MAP_SPECS[0], MAP_SPECS[1], MAP_SPECS[2], MAP_SPECS[9]);
        assertEquals(DEVICE.context().info().isCpu(), p.prefersMap(Problems.parse(MAP_SPECS[2])));
        // several vectors a row at stride 1 or 2: register rows, the default on a CPU
        assertEquals(DEVICE.context().info().isCpu(), p.prefersMap(Problems.parse(MAP_SPECS[9])));
        assertEquals(DEVICE.context().info().isCpu(), p.prefersMap(Problems.parse(MAP_SPECS[11])));
        // a 9-wide row in row tiles, not whole planes; taps from lane loads (a kernel wider than 9)
        assertFalse(p.prefersMap(Problems.parse(MAP_SPECS[10])));
        assertFalse(p.prefersMap(Problems.parse(MAP_SPECS[13])));
        // stride 3 along x: lane loads, the staged kernel's class
        assertFalse(p.prefersMap(Problems.parse(MAP_SPECS[16])));
        // rows wider than 8 vectors of 16, more than 81 taps: not the kernel's
        Convolution huge = Problems.parse("op=conv2d n=1 c=2 h=3 w=129 k=2 kh=3 kw=3 pad=1 groups=2");
        Convolution many = Problems.parse("op=conv2d n=1 c=2 h=7 w=7 k=2 kh=11 kw=9 pad=5,4 groups=2");
        for (Convolution s : List.of(huge, many)) {
            assertEquals(List.of(), DepthwiseMapPlan.candidates(s, DEVICE.context().info()), s.toString());
            assertFalse(p.prefersMap(s), s.toString());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DepthwiseMapPlan(DEVICE.context(), s, new DepthwiseMapPlan.Tile(16, 8, 1, 1)));
            assertTrue(e.getMessage().contains("depthwise-map") && e.getMessage().contains("needs")
                    && e.getMessage().contains(s.toString()), e.getMessage());
        }
        Convolution first = Problems.parse(MAP_SPECS[0]);
        assertFalse(new DepthwiseMapPlan.Tile(8, 1, 1, 1).fits(first, DEVICE.context().info()));
        assertFalse(new DepthwiseMapPlan.Tile(16, 1, 15, 1).fits(first, DEVICE.context().info()));
        assertEquals(new DepthwiseMapPlan.Tile(16, 1, 14, 2), new DepthwiseMapPlan.Tile(8, 1, 16, 2).fittedTo(first));
        // fitted to a wider row: more vectors, fewer rows (the accumulators the tile was measured with)
        assertEquals(new DepthwiseMapPlan.Tile(16, 2, 6, 1),
                new DepthwiseMapPlan.Tile(16, 4, 3, 1).fittedTo(Problems.parse(MAP_SPECS[9])));
        assertEquals(new DepthwiseMapPlan.Tile(16, 2, 7, 1),
                new DepthwiseMapPlan.Tile(16, 1, 14, 1).fittedTo(Problems.parse(MAP_SPECS[9])));
        // a tile whose unrolled loops would take long to build is no candidate (a 9x9 on 40 rows at th=16)
        Convolution tallNine = Problems.parse("op=conv2d n=1 c=1 h=40 w=9 k=1 kh=9 kw=9 pad=4 groups=1");
        assertTrue(DepthwiseMapPlan.unrolled(tallNine, new DepthwiseMapPlan.Tile(16, 1, 16, 1)) > DepthwiseMapPlan.MAX_UNROLLED);
        for (DepthwiseMapPlan.Tile t : DepthwiseMapPlan.candidates(tallNine, DEVICE.context().info())) {
            assertTrue(DepthwiseMapPlan.unrolled(tallNine, t) <= DepthwiseMapPlan.MAX_UNROLLED, t.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> new DepthwiseMapPlan.Tile(8, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new DepthwiseMapPlan.Tile(12, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new DepthwiseMapPlan.Tile(8, 9, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new DepthwiseMapPlan.Tile(8, 1, 17, 1));
    }

    @Test
    void candidatesRespectDeviceLimitsAndDefaultComesFirst() {
        Convolution spec = Problems.parse("op=conv2d n=1 c=128 h=56 w=56 k=128 kh=31 kw=31 pad=15 groups=128");
        DEVICE.assertCandidatesFitDefaultFirst(spec, DepthwisePlan::candidates, DepthwisePlan::defaultTile,
                DepthwisePlan.Tile::fits);
        OpenClDeviceInfo device = DEVICE.context().info();
        // A device with 1 KiB of local memory cannot stage a 31x31 window: no tile, direct kernel.
        OpenClDeviceInfo tiny = new OpenClDeviceInfo(device.index(), device.platformName(), device.name(),
                device.vendor(), device.type(), device.driverVersion(), device.version(), device.openclCVersion(),
                device.computeUnits(), device.clockMhz(), device.globalMemBytes(), 1024, device.maxAllocBytes(),
                device.maxWorkGroup(), device.fp16(), device.fp64(), device.nativeVectorWidthFloat(),
                device.preferredVectorWidthFloat(), device.platform(), device.device());
        assertTrue(DepthwisePlan.defaultTile(spec, tiny).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new DepthwisePlan.Tile(3, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new DepthwisePlan.Tile(4, 0, 1, 1, 1));
    }

    @Test
    void selectionLeavesNonDepthwiseSpecsToOtherKernels() {
        Convolution grouped = Problems.parse("op=conv2d n=1 c=4 h=7 w=7 k=4 kh=3 kw=3 pad=1 groups=2");
        assertFalse(DepthwisePlan.supports(grouped));
        assertThrows(IllegalArgumentException.class,
                () -> new DepthwisePlan(DEVICE.context(), grouped, new DepthwisePlan.Tile(8, 1, 1, 1, 1)));
        assertFalse(DepthwisePlan.supports(Problems.parse(
                "op=deform2d n=1 c=2 h=7 w=7 k=2 kh=3 kw=3 pad=1 groups=2 og=1")));
    }

    @Test
    void closingReleasesEverything() {
        DEVICE.assertClosingReleasesEverything(Problems.parse(EDGE_SPECS[1]));
    }

    /**
     * The tiles a kernel's own test runs on a spec: those of {@code fixed} that fit it on the
     * device, then the device's preferred candidate.
     */
    private static <T extends KernelTile> BiFunction<Convolution, OpenClDeviceInfo, List<T>> fixedThenPreferred(
            List<T> fixed, BiFunction<Convolution, OpenClDeviceInfo, List<T>> candidates) {
        return (spec, device) -> {
            List<T> tiles = new ArrayList<>();
            for (T t : fixed) {
                if (t.fits(spec, device)) {
                    tiles.add(t);
                }
            }
            tiles.addAll(candidates.apply(spec, device).stream().limit(1).toList());
            return tiles;
        };
    }

    /**
     * Selection compiles each of {@code lines} with an algorithm that starts with {@code preferred}
     * where the device profile {@code prefers} the kernel, else with one that starts with
     * {@code other}, and the plan matches the reference.
     */
    private static void assertSelectionFollowsPreference(Predicate<Convolution> prefers, String preferred, String other,
                                                         long seed, String... lines) {
        for (String line : lines) {
            String prefix = prefers.test(Problems.parse(line)) ? preferred : other;
            DEVICE.assertSelectionPicksAndMatches(prefix, new String[] {line}, seed, 0);
        }
    }
}
