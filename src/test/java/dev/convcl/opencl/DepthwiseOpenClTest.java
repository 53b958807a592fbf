package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Convolution;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link DepthwisePlan} ({@code depthwise.cl}) against the reference, on every tile it may be given. */
class DepthwiseOpenClTest {
    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    /**
     * Odd shapes through selection's default tile: sizes 1, 7, 13, 33; kernels 1x1 to 31x31;
     * stride 1-3, dilation 1-4, padding 0-4 (and up to kh/2 for large kernels) differing between
     * the axes, multiplier 1 and 2, batch 1-3, bias and ReLU on and off.
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
    };

    @Test
    void selectedDefaultTileMatchesReferenceOnOddShapes() {
        DEVICE.assertSelectionPicksAndMatches("depthwise[", EDGE_SPECS, 100, 0);
    }

    /** Two problems per tile: stride 1 (the row-reuse loop) and strided, dilated (the general loop). */
    private static final String[] TILE_SPECS = {
        "op=conv2d n=2 c=3 h=13 w=33 k=6 kh=5 kw=3 stride=1 pad=2,1 dil=1,2 bias=1 relu=1 groups=3",
        "op=conv2d n=1 c=2 h=33 w=13 k=2 kh=3 kw=5 stride=2,3 pad=3,2 dil=2,1 bias=1 groups=2",
    };

    @Test
    void everyCandidateTileMatchesReference() {
        DEVICE.assertEveryTileMatches(TILE_SPECS, 200, 0, 10,
                DepthwisePlan::candidates, DepthwisePlan.Tile::fits, DepthwisePlan::new);
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
}
