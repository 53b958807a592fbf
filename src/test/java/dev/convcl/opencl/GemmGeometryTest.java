package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Convolution;
import dev.convcl.testing.Problems;
import org.junit.jupiter.api.Test;

/** The tile arithmetic of {@link GemmConvPlan.Geometry}; no device needed. */
class GemmGeometryTest {
    private static final OpenClDeviceInfo CPU = TuningTableTest.device("test-cpu", "CPU", "1");

    @Test
    void rowsAreSharedEvenlyAmongTiles() {
        // 17 outputs a row at tn=14: two tiles of 9, not 14 + 3
        Convolution s = Problems.parse("op=conv2d n=1 c=128 h=17 w=17 k=128 kh=1 kw=7 stride=1 pad=0,3 dil=1 groups=1");
        GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, GemmConfig.cm(16, 32, 14, 1));
        assertFalse(g.linear, s.toString());
        assertEquals(9, g.tn);
        assertEquals(2, g.tilesPerRow);
        assertEquals(17 * 2, g.pixTiles);
        assertTrue(g.options.contains("-DTN=9"), g.options);
    }

    @Test
    void tilesRunAcrossRowsWhenThatWastesLess() {
        // 15 a row at tn=14: rows would need two tiles of 8 (16 a row); running along the image
        // needs ceil(135/14) = 10 tiles of 14 (8-float channel vectors, which store no runs)
        Convolution s = Problems.parse("op=conv2d n=2 c=19 h=9 w=15 k=41 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, GemmConfig.cm(8, 16, 14, 1));
        assertTrue(g.linear);
        assertFalse(g.padded);
        assertEquals(10, g.pixTiles);
        // the last tile reads past the last plane: the buffer has room for it
        long lastRead = (long) (2 * 19 - 1) * 135 + 9 * 14 + 13;
        assertEquals(lastRead + 1, g.inputFloats);
        // 11 a row fits one tile of 11 exactly: rows win
        Convolution exact = Problems.parse("op=conv2d n=2 c=19 h=9 w=11 k=41 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry r = GemmConvPlan.Geometry.of(exact, GemmConfig.cm(8, 16, 14, 1));
        assertFalse(r.linear);
        assertEquals(11, r.tn);
    }

    @Test
    void channelVectorTilesThatStoreRunsStayWithinRows() {
        // 16-float channel vectors store a tile within a row as one run per channel: a 3x3 on
        // 15 a row stays two tiles of 8, though the grid would waste less
        Convolution s = Problems.parse("op=conv2d n=2 c=19 h=9 w=15 k=41 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, GemmConfig.cm(16, 32, 14, 1));
        assertFalse(g.linear);
        assertEquals(8, g.tn);
        assertEquals(9 * 2, g.pixTiles);
        assertTrue(GemmConvPlan.Geometry.storesRuns(GemmConfig.cm(16, 32, 14, 1), 8));
        // a 1x1 keeps the least work: along the grid, as wide as its output, with the channel loop alone
        Convolution pw = Problems.parse("op=conv2d n=2 c=19 h=9 w=15 k=41 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry p = GemmConvPlan.Geometry.of(pw, GemmConfig.cm(16, 32, 14, 1));
        assertTrue(p.linear);
        assertTrue(p.options.contains("-DPOINTWISE=1"), p.options);
        // Inception-v3's 7x1 (17 a row, vertical padding): rows of 9 that pad as they read,
        // not the 17-wide grid over a padded copy
        Convolution v = Problems.parse("op=conv2d n=1 c=128 h=17 w=17 k=192 kh=7 kw=1 stride=1 pad=3,0 dil=1 groups=1");
        GemmConvPlan.Geometry seven = GemmConvPlan.Geometry.of(v, GemmConfig.cm(16, 32, 14, 1));
        assertFalse(seven.linear);
        assertEquals(9, seven.tn);
        assertTrue(seven.implicitPad);
        assertFalse(seven.copiesInput(v));
        // and its 149x149 3x3 without padding: 11 tiles of 14 a row
        Convolution wide = Problems.parse("op=conv2d n=1 c=32 h=149 w=149 k=32 kh=3 kw=3 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry w = GemmConvPlan.Geometry.of(wide, GemmConfig.cm(16, 32, 14, 1));
        assertFalse(w.linear);
        assertEquals(147 * 11, w.pixTiles);
        // tiles of 32 pixels or more store one float at a time in rows too: the work decides
        assertFalse(GemmConvPlan.Geometry.storesRuns(GemmConfig.cm(16, 16, 32, 1), 32));
        assertFalse(GemmConvPlan.Geometry.storesRuns(GemmConfig.pv(16, 4, 64, 1), 16));
        assertFalse(GemmConvPlan.Geometry.storesRuns(GemmConfig.cm(8, 16, 14, 1), 14));
    }

    @Test
    void pixelVectorTilesRunAlongTheImageRatherThanBeShortenedByNarrowRows() {
        // 14 a row at tn=64: rows would keep one vector of the four (14 tiles of 16, 224 pixels'
        // work); along the image, four tiles of 64 (256 pixels' work) keep all four vectors
        Convolution s = Problems.parse("op=conv2d n=1 c=96 h=14 w=14 k=576 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, GemmConfig.pv(16, 4, 64, 1));
        assertTrue(g.linear);
        assertEquals(64, g.tn);
        assertEquals(4, g.pixTiles);
        assertTrue(g.options.contains("-DNV=4"), g.options);
        // 56 a row at tn=64 keeps its four vectors in rows too: the work decides (along the
        // image, 49 tiles of 64 exactly)
        Convolution wide = Problems.parse("op=conv2d n=1 c=24 h=56 w=56 k=144 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry w = GemmConvPlan.Geometry.of(wide, GemmConfig.pv(16, 4, 64, 1));
        assertTrue(w.linear);
        assertEquals(49, w.pixTiles);
        // channel-vector tiles are never shortened by the vector width: rows of 14 stay rows
        GemmConvPlan.Geometry cm = GemmConvPlan.Geometry.of(s, GemmConfig.cm(16, 32, 14, 1));
        assertFalse(cm.linear);
        assertEquals(14, cm.tn);
    }

    @Test
    void oneByOneKernelsGetTheChannelLoopAlone() {
        // 1x1, at any stride, in both register kernels of 16-float vectors: one tap per input channel (POINTWISE)
        Convolution pw = Problems.parse("op=conv2d n=1 c=320 h=7 w=7 k=1280 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        assertTrue(GemmConvPlan.Geometry.of(pw, GemmConfig.cm(16, 32, 14, 1)).options.contains("-DPOINTWISE=1"));
        assertTrue(GemmConvPlan.Geometry.of(pw, GemmConfig.pv(16, 4, 64, 1)).options.contains("-DPOINTWISE=1"));
        Convolution strided = Problems.parse("op=conv2d n=1 c=12 h=13 w=11 k=18 kh=1 kw=1 stride=2 pad=0 dil=1 groups=1");
        assertTrue(GemmConvPlan.Geometry.of(strided, GemmConfig.cm(16, 32, 14, 1)).options.contains("-DPOINTWISE=1"));
        // not 8-float tiles (slower with them on AVX2), not the local-memory kernel, not other kernel sizes
        assertFalse(GemmConvPlan.Geometry.of(pw, GemmConfig.cm(8, 16, 6, 1)).options.contains("POINTWISE"));
        assertFalse(GemmConvPlan.Geometry.of(pw, GemmConfig.lm(16, 16, 64, 64, 16)).options.contains("POINTWISE"));
        Convolution row = Problems.parse("op=conv2d n=1 c=8 h=9 w=9 k=16 kh=1 kw=3 stride=1 pad=0 dil=1 groups=1");
        assertFalse(GemmConvPlan.Geometry.of(row, GemmConfig.cm(16, 32, 14, 1)).options.contains("POINTWISE"));
        // and not where the kernel pads as it reads (its tap loops find the rows inside the image)
        Convolution padded = Problems.parse("op=conv2d n=1 c=9 h=6 w=20 k=17 kh=1 kw=1 stride=1 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry rows = GemmConvPlan.Geometry.of(padded, GemmConfig.cm(16, 32, 14, 1));
        assertTrue(rows.implicitPad);
        assertFalse(rows.options.contains("POINTWISE"), rows.options);
    }

    @Test
    void tilesInRowsPadAsTheyReadAndOthersCopyTheInput() {
        Convolution s = Problems.parse("op=conv2d n=2 c=8 h=28 w=28 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry rows = GemmConvPlan.Geometry.of(s, GemmConfig.cm(16, 32, 14, 1));
        assertFalse(rows.linear);
        assertTrue(rows.implicitPad);
        assertTrue(rows.options.contains("-DIMPLICIT_PAD=1"), rows.options);
        assertEquals(s.inputSize(), rows.inputFloats);
        assertFalse(rows.copiesInput(s));
        // the local-memory kernel reads a padded copy
        GemmConvPlan.Geometry lm = GemmConvPlan.Geometry.of(s, GemmConfig.lm(16, 16, 64, 64, 16));
        assertFalse(lm.implicitPad);
        assertTrue(lm.copiesInput(s));
        assertEquals(2L * 8 * 30 * 30, lm.inputFloats);
        // tiles along the virtual grid read a padded copy too (rows of 20 would take a whole
        // 32-pixel tile each; along the 22-wide padded grid 7 tiles cover the image)
        Convolution along = Problems.parse("op=conv2d n=1 c=4 h=9 w=20 k=8 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry virtual = GemmConvPlan.Geometry.of(along, GemmConfig.pv(16, 24, 32, 1));
        assertTrue(virtual.linear);
        assertFalse(virtual.implicitPad);
        assertTrue(virtual.copiesInput(along));
        // the pixel-vector kernel keeps the copy in rows too (64-wide rows: one tile each)
        Convolution wide = Problems.parse("op=conv2d n=1 c=8 h=8 w=64 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry pvRows = GemmConvPlan.Geometry.of(wide, GemmConfig.pv(16, 4, 64, 1));
        assertFalse(pvRows.linear);
        assertFalse(pvRows.implicitPad);
        assertTrue(pvRows.copiesInput(wide));
        // no padding, no slack: the kernel is built as before, without the checks
        Convolution plain = Problems.parse("op=conv2d n=1 c=4 h=9 w=14 k=8 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry none = GemmConvPlan.Geometry.of(plain, GemmConfig.cm(16, 32, 14, 1));
        assertFalse(none.implicitPad);
        assertFalse(none.options.contains("IMPLICIT_PAD"), none.options);
        assertFalse(none.copiesInput(plain));
    }

    /**
     * Tiles in rows pad as they read only where every edge tap gets a body of constants: at most
     * 3 pixels of a tile in the padding, on one side. DRN's dilation-4 layer (pad 4), 4 or 5
     * pixels in the padding and a tap that reads past both ends of a row keep the copy.
     */
    @Test
    void widePaddingKeepsTheCopy() {
        GemmConfig cm = GemmConfig.cm(16, 32, 14, 1);
        String[] implicit = {
            "op=conv2d n=1 c=256 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1",   // 882 MACs an element
            "op=conv2d n=1 c=256 h=14 w=14 k=224 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1",   // 1544
            "op=conv2d n=1 c=128 h=17 w=17 k=128 kh=1 kw=7 stride=1 pad=0,3 dil=1 groups=1", // inception 1x7
            "op=conv2d n=1 c=64 h=56 w=56 k=64 kh=7 kw=7 stride=2 pad=3 dil=1 groups=1",    // 3 pixels at stride 2: 2
            "op=conv2d n=1 c=64 h=14 w=14 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1",     // one tile a row, both edges
        };
        for (String p : implicit) {
            Convolution s = Problems.parse(p);
            GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, cm);
            assertTrue(g.implicitPad && !g.copiesInput(s), p + ": pads as it reads");
        }
        String[] copies = {
            "op=conv2d n=1 c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=4 dil=4 groups=1",   // drn.conv5.dil4
            "op=conv2d n=1 c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1",   // drn.conv6.dil2: 3528
            "op=conv2d n=1 c=16 h=40 w=40 k=16 kh=9 kw=9 stride=1 pad=4 dil=1 groups=1",     // 4 pixels left
            "op=conv2d n=1 c=8 h=3 w=4 k=16 kh=1 kw=1 stride=1 pad=0,1 dil=1 groups=1",      // a tap past both ends
            "op=conv2d n=1 c=8 h=6 w=6 k=16 kh=1 kw=1 stride=1 pad=0,5 dil=1 groups=1",      // 5 pixels right
        };
        for (String p : copies) {
            Convolution s = Problems.parse(p);
            GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, cm);
            assertTrue(!g.implicitPad && g.copiesInput(s), p + ": keeps the padded copy");
        }
        // the bound scales with the lanes: 1764 multiply-adds an element is below 16 x 128, above 8 x 128
        Convolution res4 = Problems.parse("op=conv2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        assertTrue(GemmConvPlan.Geometry.of(res4, cm).implicitPad, "res4 3x3 at 16 lanes");
        assertFalse(GemmConvPlan.Geometry.of(res4, GemmConfig.cm(8, 24, 14, 1)).implicitPad, "res4 3x3 at 8 lanes");
    }

    @Test
    void stemsWithShortReductionsGetPixelVectorsAtStride2WhereTheVectorsAreWide() {
        // MobileNetV2's stem: 3x3 stride 2 over 3 channels, R = 27
        Convolution stem = Problems.parse("op=conv2d n=1 c=3 h=224 w=224 k=32 kh=3 kw=3 stride=2 pad=1 dil=1 groups=1");
        assertEquals(GemmConfig.pv(16, 16, 16, 1), GemmDefaults.of(stem, true, 16), "AVX-512: R = 27 <= 2 * 16");
        assertEquals(GemmConfig.Kind.CM, GemmDefaults.of(stem, true, 8).kind(), "AVX2: R = 27 > 2 * 8");
        // ResNet's 7x7 stem: R = 147
        Convolution resnet = Problems.parse("op=conv2d n=1 c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3 dil=1 groups=1");
        assertEquals(GemmConfig.Kind.CM, GemmDefaults.of(resnet, true, 16).kind());
        // stride 3: the pixel-vector kernel cannot read it
        Convolution s3 = Problems.parse("op=conv2d n=1 c=3 h=30 w=30 k=32 kh=3 kw=3 stride=3 pad=1 dil=1 groups=1");
        assertEquals(GemmConfig.Kind.CM, GemmDefaults.of(s3, true, 16).kind());
        assertTrue(GemmDefaults.candidates(stem, true, 16).stream().anyMatch(g -> g.kind() == GemmConfig.Kind.PV));
        assertTrue(GemmDefaults.candidates(s3, true, 16).stream().noneMatch(g -> g.kind() == GemmConfig.Kind.PV));
    }

    @Test
    void oneByOneLayersThatEndAResidualBlockTakePixelVectorsWhereChannelVectorsWouldGatherTheSum() {
        // RegNetY-400MF's block-2 1x1 with its residual sum: 28x28 (AVX-512: pixel vectors, pixel order)
        Convolution plain = Problems.parse("op=conv2d n=8 c=104 h=28 w=28 k=104 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 post=relu");
        Convolution summed = Problems.parse("op=conv2d n=8 c=104 h=28 w=28 k=104 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 post=sum+relu");
        assertEquals(GemmConfig.Kind.CM, GemmDefaults.of(plain, true, 16).kind(), "without the sum: " + GemmDefaults.of(plain, true, 16));
        assertEquals(GemmConfig.pv(16, 8, 32, 1), GemmDefaults.of(summed, true, 16), "AVX-512, 28x28 with the sum");
        assertEquals(GemmConfig.Kind.CM, GemmDefaults.of(summed, true, 8).kind(), "AVX2 keeps channel vectors on 28x28");
        // 7x7 (ResNet-50's res5, RegNetY's block 4): the channel-vector tile stays
        Convolution small = Problems.parse("op=conv2d n=8 c=440 h=7 w=7 k=440 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 post=sum+relu");
        assertEquals(GemmConfig.Kind.CM, GemmDefaults.of(small, true, 16).kind());
        // 56x56: AVX2 takes pixel vectors with the sum (4 channels x 2 vectors), AVX-512 keeps its channel-order pixel tile
        Convolution wide = Problems.parse("op=conv2d n=1 c=48 h=56 w=56 k=48 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 post=sum+relu");
        assertEquals(GemmConfig.pv(8, 4, 16, 1), GemmDefaults.of(wide, true, 8));
        assertEquals(GemmConfig.pv(16, 4, 64, 1).withOrder(GemmConfig.Order.CHANNELS), GemmDefaults.of(wide, true, 16));
        // MobileNetV2's projection with its sum: the reduction (576) is longer than the outputs (96)
        Convolution projection = Problems.parse("op=conv2d n=1 c=576 h=14 w=14 k=96 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 post=sum");
        assertEquals(GemmConfig.Kind.CM, GemmDefaults.of(projection, true, 16).kind());
        // the bounds: 14x14 with 16-float vectors, above 32x32 with 8-float ones, C <= K; 4-float vectors unmeasured
        String base = "op=conv2d n=1 c=64 h=%d w=%d k=%d kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 post=sum";
        assertTrue(GemmDefaults.sumPrefersPixelVectors(Problems.parse(String.format(base, 14, 14, 64)), 16));
        assertFalse(GemmDefaults.sumPrefersPixelVectors(Problems.parse(String.format(base, 13, 14, 64)), 16));
        assertFalse(GemmDefaults.sumPrefersPixelVectors(Problems.parse(String.format(base, 14, 14, 63)), 16), "C = K + 1");
        assertTrue(GemmDefaults.sumPrefersPixelVectors(Problems.parse(String.format(base, 33, 32, 64)), 8));
        assertFalse(GemmDefaults.sumPrefersPixelVectors(Problems.parse(String.format(base, 32, 32, 64)), 8));
        assertFalse(GemmDefaults.sumPrefersPixelVectors(Problems.parse(String.format(base, 56, 56, 64)), 4));
        assertFalse(GemmDefaults.sumPrefersPixelVectors(Problems.parse(String.format(base, 56, 56, 64).replace("post=sum", "post=relu")), 16));
        // a 3x3 layer with the sum (a long reduction) and a GPU keep their tiles
        Convolution dense = Problems.parse("op=conv2d n=1 c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 post=sum+relu");
        assertEquals(GemmConfig.Kind.CM, GemmDefaults.of(dense, true, 16).kind());
        assertEquals(GemmConfig.Kind.LM, GemmDefaults.of(summed, false, 16).kind());
    }

    @Test
    void pixelVectorsAtStride2HaveRoomForTheirLastVectorsRead() {
        // 16 outputs a row at tn=16, stride 2, padded rows of 33: a tile's 16 pixels span 31
        // inputs and its vectors read 32; the last tile's last tap (row 32, column 2) reads one
        // float past the padded input, and the copy has room for it
        Convolution s = Problems.parse("op=conv2d n=1 c=3 h=31 w=31 k=32 kh=3 kw=3 stride=2 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, GemmConfig.pv(16, 16, 16, 1));
        assertFalse(g.implicitPad);
        assertFalse(g.linear);
        assertEquals(1, g.tilesPerRow);
        assertTrue(g.options.contains("-DSW=2"), g.options);
        long plane = 33L * 33;
        long lastRead = 2 * plane + 15L * 2 * 33 + 2 * 33 + 2 + 16 * 2 - 1;
        assertEquals(3 * plane, lastRead);
        assertEquals(lastRead + 1, g.inputFloats);
    }

    @Test
    void channelTilesSplitAGroupEvenly() {
        Convolution s = Problems.parse("op=conv2d n=1 c=64 h=8 w=8 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, GemmConfig.cm(16, 48, 9, 1));
        assertEquals(2, g.mt);
        assertEquals(32, g.tmPack);
        assertEquals(64L * 64 * 9, g.packedFloats);
        GemmConvPlan.Geometry p = GemmConvPlan.Geometry.of(s, GemmConfig.pv(16, 24, 32, 1));
        assertEquals(3, p.mt);
        assertEquals(22, p.tmPack);
    }

    @Test
    void localMemoryTilesPadTheTapsToTheirStep() {
        Convolution s = Problems.parse("op=conv2d n=1 c=3 h=9 w=9 k=20 kh=3 kw=3 stride=2 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry g = GemmConvPlan.Geometry.of(s, GemmConfig.lm(16, 16, 64, 64, 16));
        assertEquals(27, g.r);
        assertEquals(32, g.rp);
        assertEquals(1, g.mt);
        assertEquals(64L * 32, g.packedFloats);
        assertEquals((long) 3 * 11 * 11, g.inputFloats);
    }

    @Test
    void problemsBeyond32BitIndexingAreRefusedWithTheReason() {
        // 2^31-1 input elements fit the spec, but not once padded (the pixel-vector tile reads a
        // padded copy; a channel-vector tile within rows would pad as it reads)
        Convolution s = Problems.parse("op=conv2d n=1 c=2 h=32768 w=32767 k=2 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        String why = GemmConvPlan.unsuitableReason(s, GemmConfig.pv(16, 4, 64, 1), CPU).orElseThrow();
        assertTrue(why.contains("32-bit"), why);
        Convolution fine = Problems.parse("op=conv2d n=1 c=2 h=32 w=32 k=2 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        assertTrue(GemmConvPlan.unsuitableReason(fine, GemmConfig.pv(16, 4, 64, 1), CPU).isEmpty());
    }

    @Test
    void registerTilesPrefetchOnlyWhereAGroupsPlanesReachTheBound() {
        // DRN's 512-channel dilation-2 layer: 512 padded 32x32 planes, 2 MiB a group
        Convolution drn = Problems.parse("op=conv2d n=1 c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1");
        long planes = 512L * 32 * 32 * 4;
        GemmConvPlan.Geometry on = GemmConvPlan.Geometry.of(drn, GemmConfig.cm(16, 32, 14, 1), planes);
        assertTrue(on.prefetch, on.options);
        assertTrue(on.options.contains("-DPREFETCH_DIST=" + GemmConvPlan.Geometry.PREFETCH_CHANNELS), on.options);
        assertEquals("32x14-pf", on.tileName);
        GemmConvPlan.Geometry above = GemmConvPlan.Geometry.of(drn, GemmConfig.cm(16, 32, 14, 1), planes + 1);
        assertFalse(above.prefetch, above.options);
        assertFalse(above.options.contains("PREFETCH_DIST"), above.options);
        assertEquals("32x14", above.tileName);
        // 0: never (devices other than CPUs, or an L2 the system does not report)
        assertFalse(GemmConvPlan.Geometry.of(drn, GemmConfig.cm(16, 32, 14, 1), 0).options.contains("PREFETCH"));
        assertFalse(GemmConvPlan.Geometry.of(drn, GemmConfig.cm(16, 32, 14, 1)).options.contains("PREFETCH"));
        // the pixel-vector tile prefetches too; the local-memory kernel has no such loop
        assertTrue(GemmConvPlan.Geometry.of(drn, GemmConfig.pv(16, 8, 32, 1), planes).options.contains("PREFETCH_DIST"));
        assertFalse(GemmConvPlan.Geometry.of(drn, GemmConfig.lm(16, 16, 64, 64, 16), planes).options.contains("PREFETCH_DIST"));
        // a group's planes, not the whole input: 32 groups of 16 channels stay below the bound
        Convolution grouped = Problems.parse("op=conv2d n=1 c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=2 dil=2 groups=32");
        assertFalse(GemmConvPlan.Geometry.of(grouped, GemmConfig.cm(16, 16, 14, 1), planes).options.contains("PREFETCH_DIST"));
        // a padded layer read in place (IMPLICIT_PAD) counts its unpadded planes
        Convolution res = Problems.parse("op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry inPlace = GemmConvPlan.Geometry.of(res, GemmConfig.cm(16, 32, 14, 1), 64L * 56 * 56 * 4);
        assertTrue(inPlace.implicitPad && inPlace.prefetch, inPlace.options);
        // 1x1 tiles with the channel loop alone (POINTWISE) have no kernel rows to prefetch
        Convolution pw = Problems.parse("op=conv2d n=1 c=512 h=32 w=32 k=512 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry p = GemmConvPlan.Geometry.of(pw, GemmConfig.cm(16, 32, 14, 1), 1);
        assertTrue(p.options.contains("-DPOINTWISE=1") && !p.prefetch, p.options);
    }

    @Test
    void registerTilesPrefetchTheSumOnCpuDevicesOnly() {
        // RegNetY-400MF's residual 1x1 (SUM_PREFETCH: the tile's sum values asked for before its taps)
        String line = "op=conv2d n=8 c=48 h=56 w=56 k=48 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1";
        Convolution sum = Problems.parse(line + " post=sum+relu");
        for (GemmConfig cfg : java.util.List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.pv(16, 4, 64, 1))) {
            String on = GemmConvPlan.Geometry.of(sum, cfg, 1 << 20).options;
            assertTrue(on.contains("-DSUM_PREFETCH=1"), cfg + ": " + on);
            // not on other devices (bound 0), nor without a sum to read
            String gpu = GemmConvPlan.Geometry.of(sum, cfg, 0).options;
            assertFalse(gpu.contains("SUM_PREFETCH"), cfg + " on a device without the bound: " + gpu);
            String noSum = GemmConvPlan.Geometry.of(Problems.parse(line + " post=relu"), cfg, 1 << 20).options;
            assertFalse(noSum.contains("SUM_PREFETCH"), cfg + " without a sum: " + noSum);
        }
        // nor for the local-memory kernel, which does not read it
        String lm = GemmConvPlan.Geometry.of(sum, GemmConfig.lm(16, 16, 64, 64, 16), 1 << 20).options;
        assertFalse(lm.contains("SUM_PREFETCH"), lm);
    }

    @Test
    void registerTilesPrefetchTheNextPanelOnCpuDevicesInPixelOrder() {
        // ResNet-18's 14x14 layer: 8 channel tiles of 32, 14 pixel tiles each
        Convolution r18 = Problems.parse("op=conv2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        GemmConvPlan.Geometry on = GemmConvPlan.Geometry.of(r18, GemmConfig.cm(16, 32, 14, 1), 1 << 20);
        assertTrue(on.panelPrefetch && on.options.contains("-DPANEL_PREFETCH=1"), on.options);
        assertTrue(GemmConvPlan.Geometry.of(r18, GemmConfig.pv(16, 6, 64, 1), 1 << 20).panelPrefetch);
        // 1x1 tiles too (the channel loop alone)
        Convolution pw = Problems.parse("op=conv2d n=1 c=960 h=7 w=7 k=160 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        GemmConvPlan.Geometry p = GemmConvPlan.Geometry.of(pw, GemmConfig.cm(16, 32, 7, 1), 1 << 20);
        assertTrue(p.panelPrefetch && p.options.contains("-DPOINTWISE=1"), p.options);
        // not for other devices, in channel order (the next work-group reads the same pixels with
        // the next panel at once), for the local-memory kernel, nor where there is no next panel to
        // share out or no other tile to share it with
        assertFalse(GemmConvPlan.Geometry.of(r18, GemmConfig.cm(16, 32, 14, 1), 0).options.contains("PANEL_PREFETCH"));
        assertFalse(GemmConvPlan.Geometry.of(r18, GemmConfig.cm(16, 32, 14, 1).withOrder(GemmConfig.Order.CHANNELS),
                1 << 20).panelPrefetch);
        assertFalse(GemmConvPlan.Geometry.of(r18, GemmConfig.lm(16, 16, 64, 64, 16), 1 << 20).panelPrefetch);
        Convolution oneTile = Problems.parse("op=conv2d n=1 c=256 h=14 w=14 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        assertFalse(GemmConvPlan.Geometry.of(oneTile, GemmConfig.cm(16, 32, 14, 1), 1 << 20).panelPrefetch);
        Convolution onePixelTile = Problems.parse("op=conv2d n=1 c=1024 h=1 w=1 k=1000 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        assertFalse(GemmConvPlan.Geometry.of(onePixelTile, GemmConfig.cm(16, 32, 14, 1), 1 << 20).panelPrefetch);
        // two panels must fit the bound: ResNet-18's 7x7 layer has 590 KB panels
        Convolution l4 = Problems.parse("op=conv2d n=1 c=512 h=7 w=7 k=512 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        assertFalse(GemmConvPlan.Geometry.of(l4, GemmConfig.cm(16, 32, 7, 1), 1 << 20).panelPrefetch);
        assertTrue(GemmConvPlan.Geometry.of(l4, GemmConfig.cm(16, 32, 7, 1), 2L * 4608 * 32 * 4).panelPrefetch);
        // and an image has at most PANEL_PREFETCH_MAX_TILES pixel tiles: 56x56 has 224 of 14
        Convolution l1 = Problems.parse("op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        assertFalse(GemmConvPlan.Geometry.of(l1, GemmConfig.cm(16, 32, 14, 1), 1 << 20).panelPrefetch);
        Convolution l2 = Problems.parse("op=conv2d n=1 c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        assertTrue(GemmConvPlan.Geometry.of(l2, GemmConfig.cm(16, 32, 14, 1), 1 << 20).panelPrefetch);
    }
}
