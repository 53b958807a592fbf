package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Convolution;
import dev.convcl.Operation;
import dev.convcl.cli.BenchSuite;
import dev.convcl.testing.Problems;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The defaults every kernel family derives from what a device reports ({@link DeviceProfile}),
 * on made-up device descriptions: valid (work-group within the maximum, local memory within the
 * device's) and sized to the device (vector width, register tile within the registers). No
 * device needed.
 */
class DeviceProfileTest {
    /** Zen 3 under POCL: 2 cores, AVX2 (8 floats, 16 registers), 512 KiB of local memory, groups up to 4096. */
    static final OpenClDeviceInfo AVX2 = device("pthread-znver3-AMD EPYC", "AuthenticAMD", "CPU", 2, 512 << 10, 4096, 8, 8);
    /** Skylake-SP under POCL: AVX-512 (16 floats, 32 registers). */
    static final OpenClDeviceInfo AVX512 = device("pthread-skylake-avx512-Intel Xeon", "GenuineIntel", "CPU", 2,
            512 << 10, 4096, 16, 16);
    /** An NVIDIA-like GPU: warps of 32, 48 KiB of local memory, groups up to 1024, native width 1. */
    static final OpenClDeviceInfo NVIDIA = device("NVIDIA GeForce RTX 3060", "NVIDIA Corporation", "GPU", 28,
            48 << 10, 1024, 1, 1);
    /** RepLKNet's 31x31, 29x29 and 13x13 depthwise layers (stages 1, 2 and 4). */
    static final Convolution DW31 = Problems.parse("op=conv2d n=1 c=128 h=56 w=56 k=128 kh=31 kw=31 pad=15 groups=128");
    static final Convolution DW29 = Problems.parse("op=conv2d n=1 c=256 h=28 w=28 k=256 kh=29 kw=29 pad=14 groups=256");
    static final Convolution DW13 = Problems.parse("op=conv2d n=1 c=1024 h=7 w=7 k=1024 kh=13 kw=13 pad=6 groups=1024");

    /** A small embedded GPU: 2 compute units, 16 KiB of local memory, groups up to 64, float4. */
    static final OpenClDeviceInfo EMBEDDED = device("Mali-G31", "ARM", "GPU", 1, 16 << 10, 64, 4, 4);

    static OpenClDeviceInfo device(String name, String vendor, String type, int units, long local, long maxWg,
                                   int nativeFloats, int preferredFloats) {
        return new OpenClDeviceInfo(0, "Test Platform", name, vendor, type, "1.0", "OpenCL 3.0", "OpenCL C 1.2",
                units, 1000, 1L << 32, local, 1L << 30, maxWg, false, true, nativeFloats, preferredFloats, null, null);
    }

    /** Every line of the bundled benchmark suite, and a few odd problems of each family. */
    static List<Convolution> problems() throws IOException {
        List<Convolution> l = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                DeviceProfileTest.class.getResourceAsStream("/bench/shapes.txt"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String t = line.strip();
                int op = t.indexOf("op=");
                if (!t.startsWith("#") && op >= 0) {
                    l.add((Convolution) Operation.parse(BenchSuite.withoutQuick(t.substring(op))));
                }
            }
        }
        for (String s : List.of(
                "op=conv2d n=1 c=3 h=1 w=1 k=5 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1",
                "op=conv2d n=2 c=7 h=9 w=33 k=7 kh=3 kw=3 stride=2 pad=1 dil=1 groups=7",
                "op=conv2d n=1 c=8 h=100 w=100 k=16 kh=31 kw=31 stride=1 pad=15 dil=1 groups=8",
                "op=conv2d n=1 c=4 h=40 w=40 k=4 kh=5 kw=5 stride=3 pad=2 dil=3 groups=4",
                "op=deform2d n=1 c=6 h=11 w=13 k=10 kh=5 kw=5 stride=1 pad=2 dil=1 groups=2 og=3 mask=1",
                "op=deform2d n=2 c=512 h=7 w=7 k=512 kh=3 kw=3 stride=2 pad=1 dil=1 groups=1 og=1 mask=0")) {
            l.add(Problems.parse(s));
        }
        return l;
    }

    @Test
    void vectorWidthAndRegistersFollowTheDevice() {
        DeviceProfile avx2 = DeviceProfile.of(AVX2);
        assertEquals(8, avx2.vectorWidth());
        assertEquals(16, avx2.vectorRegisters());
        assertEquals(12, avx2.accumulators());
        DeviceProfile avx512 = DeviceProfile.of(AVX512);
        assertEquals(16, avx512.vectorWidth());
        assertEquals(32, avx512.vectorRegisters());
        assertEquals(28, avx512.accumulators());
        assertEquals(32, DeviceProfile.of(NVIDIA).warp());
        assertFalse(DeviceProfile.of(NVIDIA).cpuLike());
        assertEquals(4, DeviceProfile.of(EMBEDDED).vectorWidth());
        // POCL_KERNELLIB_NAME=avx2 on an AVX-512 host: the device reports the host's 16, compiles for haswell.
        OpenClDeviceInfo emulated = device("pthread-haswell-AMD EPYC", "AuthenticAMD", "CPU", 2, 512 << 10, 4096, 16, 16);
        assertEquals(8, DeviceProfile.of(emulated).vectorWidth());
        assertEquals(Optional.of(16), DeviceProfile.targetWidth("pthread-skylake-avx512-AMD EPYC"));
        assertEquals(Optional.of(8), DeviceProfile.targetWidth("cpu-skylake-Intel Core"));
        assertEquals(Optional.empty(), DeviceProfile.targetWidth("NVIDIA GeForce RTX 3060"));
        assertEquals(Optional.empty(), DeviceProfile.targetWidth("pthread-cortex-a72"));
        // Nothing reported: 4 on a CPU, 1 on a GPU; odd widths round down.
        assertEquals(4, DeviceProfile.of(device("x", "v", "CPU", 1, 1 << 15, 1024, 0, 0)).vectorWidth());
        assertEquals(1, DeviceProfile.of(device("x", "v", "GPU", 1, 1 << 15, 1024, 0, 0)).vectorWidth());
        assertEquals(2, DeviceProfile.of(device("x", "v", "CPU", 1, 1 << 15, 1024, 3, 3)).vectorWidth());
    }

    @Test
    void everyDefaultAndCandidateFitsEveryDevice() throws IOException {
        List<Convolution> problems = problems();
        for (OpenClDeviceInfo d : List.of(AVX2, AVX512, NVIDIA, EMBEDDED)) {
            DeviceProfile p = DeviceProfile.of(d);
            long[] direct = p.directLocalSize();
            assertTrue(direct[0] * direct[1] <= d.maxWorkGroup() && direct[0] >= 1 && direct[1] >= 1, d.name());
            for (Convolution s : problems) {
                String where = d.name() + ": " + s;
                switch (KernelFamily.of(s)) {
                    case GEMM -> {
                        GemmConfig g = p.gemm(s);
                        assertEquals(Optional.empty(), GemmConvPlan.unsuitableReason(s, g, d), where + " " + g);
                        for (GemmConfig c : GemmDefaults.candidates(s, p)) {
                            assertEquals(Optional.empty(), GemmConvPlan.unsuitableReason(s, c, d), where + " " + c);
                        }
                    }
                    case DEPTHWISE -> {
                        assertDefaultAndCandidatesFit(p.depthwise(s), p.depthwiseCandidates(s), s, d);
                        assertDefaultAndCandidatesFit(p.depthwiseConfig(s), p.depthwiseConfigs(s), s, d);
                    }
                    case DEFORM -> assertDefaultAndCandidatesFit(p.deform(s), p.deformCandidates(s), s, d);
                }
                for (String c : KernelFamily.of(s).candidates(s, d)) {
                    assertEquals(Optional.empty(), KernelFamily.of(s).unsuitable(s, c, d), where + " " + c);
                }
            }
        }
    }

    @Test
    void cpuRegisterTilesFitTheRegisters() throws IOException {
        for (OpenClDeviceInfo d : List.of(AVX2, AVX512)) {
            DeviceProfile p = DeviceProfile.of(d);
            // the hardware's: AVX2 has 16 vector registers, AVX-512 32
            int regs = d == AVX2 ? 16 : 32;
            for (Convolution s : problems()) {
                String where = d.name() + ": " + s;
                switch (KernelFamily.of(s)) {
                    case GEMM -> {
                        GemmConfig g = p.gemm(s);
                        assertTrue(g.vw() <= p.vectorWidth() && g.ls() == 1, where + " " + g);
                        // accumulators + the loaded vectors + the broadcast
                        int acc = g.tm() * g.tn() / g.vw();
                        int loaded = g.kind() == GemmConfig.Kind.CM ? g.tm() / g.vw() : g.tn() / g.vw();
                        assertTrue(acc + loaded + 1 <= regs, where + " " + g + " needs " + (acc + loaded + 1));
                    }
                    case DEPTHWISE -> {
                        // bound by loads, not registers: vectors of twice the register width (at most 16)
                        DepthwisePlan.Tile t = p.depthwise(s).orElseThrow();
                        assertTrue(t.vw() <= Math.min(16, 2 * p.vectorWidth()) && t.workGroupSize() == 1, where + " " + t);
                        // about 16 accumulator vectors, or a whole-row tile's (at most 7 vectors x 4 rows)
                        boolean wholeRow = t.nv() > 4 && t.nv() <= DeviceProfile.WHOLE_ROW_VECTORS
                                && t.th() <= DeviceProfile.WHOLE_ROW_ROWS && t.tileWidth() >= s.outW();
                        assertTrue(t.th() * t.nv() <= 16 || wholeRow, where + " " + t);
                    }
                    case DEFORM -> {
                        DeformCmPlan.Tile t = (DeformCmPlan.Tile) p.deform(s).orElseThrow();
                        assertTrue(t.vw() <= p.vectorWidth() && t.workGroupSize() == 1, where + " " + t);
                        assertTrue(t.mv() * t.tn() + t.mv() + 1 <= regs, where + " " + t);
                        int plane = s.outH() * s.outW();
                        // a whole small plane a work-group, else one register tile of pixels
                        assertEquals(plane <= DeviceProfile.DEFORM_SMALL_PLANE ? (plane + t.tn() - 1) / t.tn() : 1, t.npt(),
                                where + " " + t);
                        assertTrue(p.deformCandidates(s).stream().anyMatch(c -> c instanceof DeformGemmPlan.Tile g
                                && g.vw() == p.vectorWidth() && g.workGroupSize() == 1), where + ": deform2d_gemm.cl's CPU tiles stay candidates");
                    }
                }
            }
        }
    }

    @Test
    void theAvx512DefaultsAreTheOnesMeasuredThereAndAvx2GetsItsOwn() {
        Convolution dense = Problems.parse("op=conv2d n=1 c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        Convolution dw = Problems.parse("op=conv2d n=1 c=144 h=56 w=56 k=144 kh=3 kw=3 stride=1 pad=1 dil=1 groups=144");
        Convolution dcn = Problems.parse("op=deform2d n=1 c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 og=1 mask=1");
        DeviceProfile avx512 = DeviceProfile.of(AVX512);
        assertEquals(GemmConfig.cm(16, 32, 14, 1), avx512.gemm(dense));
        assertTile("vw=16 nv=4 th=4 wg=1x1", avx512.depthwise(dw), dw);
        // channel vectors of the full register, the dense GEMM's 32x14 register tile
        assertTile("cm vw=16 mv=2 tn=14 npt=1 nkt=4 cc=64", avx512.deform(dcn), dcn);
        // deform2d_gemm.cl's tile (pixel vectors of the full register: 1.3-1.4x over 8-float ones
        // on the dcn ResNet-18 layers) stays a candidate
        assertTrue(avx512.deformCandidates(dcn).contains(DeformGemmPlan.Tile.parse("vw=16 pv=2 npt=1 kt=8 nkt=16 cc=16 wg=1")));
        DeviceProfile avx2 = DeviceProfile.of(AVX2);
        assertEquals(GemmConfig.cm(8, 16, 6, 1), avx2.gemm(dense));
        // measured on POCL's AVX2 target: 16-float vectors beat 8-float ones on depthwise layers
        assertTile("vw=16 nv=4 th=4 wg=1x1", avx2.depthwise(dw), dw);
        assertTile("cm vw=8 mv=2 tn=6 npt=1 nkt=8 cc=64", avx2.deform(dcn), dcn);
        assertTrue(avx2.deformCandidates(dcn).contains(DeformGemmPlan.Tile.parse("vw=8 pv=2 npt=1 kt=6 nkt=22 cc=16 wg=1")));
    }

    /**
     * Output rows of 5 to 7 vectors of 16 (MobileNetV2's 112-wide dw1, an 80-wide stride-2 output)
     * get one tile across the whole row on CPUs, AVX-512 and AVX2 alike (measured faster on both);
     * 8 vectors and more keep tiles of 4; GPUs keep their work-group tiles.
     */
    @Test
    void wideDepthwiseRowsGetOneTileAcrossTheWholeRowOnCpus() {
        Convolution dw1 = Problems.parse("op=conv2d n=1 c=32 h=112 w=112 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32");
        Convolution s2 = Problems.parse("op=conv2d n=1 c=8 h=30 w=160 k=8 kh=3 kw=3 stride=2 pad=1 dil=1 groups=8");
        Convolution wide = Problems.parse("op=conv2d n=1 c=8 h=30 w=144 k=8 kh=3 kw=3 stride=1 pad=1 dil=1 groups=8");
        DeviceProfile avx512 = DeviceProfile.of(AVX512);
        assertTile("vw=16 nv=7 th=4 wg=1x1", avx512.depthwise(dw1), dw1);
        assertTile("vw=16 nv=5 th=4 wg=1x1", avx512.depthwise(s2), s2);
        assertTile("vw=16 nv=4 th=4 wg=1x1", avx512.depthwise(wide), wide);
        assertTile("vw=16 nv=7 th=4 wg=1x1", DeviceProfile.of(AVX2).depthwise(dw1), dw1);
        assertTrue(DeviceProfile.of(NVIDIA).depthwise(dw1).orElseThrow().workGroupSize() > 1);
    }

    /**
     * The DCNv2 ResNet-18 layers 3 and 4 (256 and 512 channels, 14x14 and 7x7): on 2 compute
     * units the 14x14 layer's work-groups keep all the channels, so each point is sampled once (14
     * pixel tiles); the 7x7 plane is one work-group's pixels (its 9.4 MB of weights read once, not
     * once a register tile of pixels), so its channels split until the 2 units are busy; with 16
     * units they split further, and a large map keeps its work-groups' channels.
     */
    @Test
    void deformSplitsChannelsOnlyWhereComputeUnitsWouldIdle() {
        Convolution l3 = Problems.parse("op=deform2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 pad=1 og=1 mask=1");
        Convolution l4 = Problems.parse("op=deform2d n=1 c=512 h=7 w=7 k=512 kh=3 kw=3 pad=1 og=1 mask=1");
        Convolution big = Problems.parse("op=deform2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1 og=1 mask=1");
        DeviceProfile two = DeviceProfile.of(AVX512);
        assertTile("cm vw=16 mv=2 tn=14 npt=1 nkt=8 cc=64", two.deform(l3), l3);
        assertTile("cm vw=16 mv=2 tn=14 npt=4 nkt=8 cc=64", two.deform(l4), l4);
        DeviceProfile sixteen = DeviceProfile.of(device("pthread-skylake-avx512-Intel Xeon", "GenuineIntel", "CPU", 16,
                512 << 10, 4096, 16, 16));
        // one pixel tile x 16 blocks of 32 channels: 16 work-groups, one round on 16 units
        assertTile("cm vw=16 mv=2 tn=14 npt=4 nkt=1 cc=64", sixteen.deform(l4), l4);
        assertTile("cm vw=16 mv=2 tn=14 npt=1 nkt=2 cc=64", sixteen.deform(big), big);
        // deform2d_gemm.cl's rule: 2 pixel tiles x 8 blocks of 64 channels on 16 units
        assertTrue(sixteen.deformCandidates(l4).contains(DeformGemmPlan.Tile.parse("vw=16 pv=2 npt=1 kt=8 nkt=8 cc=16 wg=1")));
        // the model itself: one pixel tile on 4 units splits 64 channels of kt 8 into 4 blocks
        assertEquals(2, DeviceProfile.of(device("pthread-skylake-avx512-Intel Xeon", "GenuineIntel", "CPU", 4,
                512 << 10, 4096, 16, 16)).deformChannelBlocks(64, 8, 8, 1, 8 * 16));
    }

    /**
     * MobileNetV2's and ResNet-50's 1x1 layers (docs/performance-notes.md, "Pointwise tiles on the
     * CPU device", "1x1: channel tiles first" and, for K <= 16, "Depthwise row tiles in plane
     * order"). Order: channel tiles first where the weights
     * are at most half the input (2K <= H*W) and K > 16, or K <= 16 in several channel tiles of
     * the pixel-vector tile, else pixel tiles first. Tile: in pixel
     * order, the channel-vector tile unless C <= 2 vectors or K < 2 vectors; in channel order with
     * AVX-512 at stride 1 on maps of more than 1024 pixels, the pixel-vector tile (measured
     * 1.2-2x faster there, slower on 28x28 and 14x14), otherwise the pixel order's tile.
     */
    @Test
    void pointwiseLayersTakeTheirOrderFromTheOperandSizesAndTheirTileFromTheReduction() {
        String[] lines = {
            "op=conv2d n=1 c=16 h=112 w=112 k=96 kh=1 kw=1",   // 0: C = 16
            "op=conv2d n=1 c=32 h=28 w=28 k=192 kh=1 kw=1",    // 1: C = 32
            "op=conv2d n=1 c=144 h=56 w=56 k=24 kh=1 kw=1",    // 2: K = 24
            "op=conv2d n=1 c=96 h=14 w=14 k=576 kh=1 kw=1",    // 3: long reduction, 196 pixels < K
            "op=conv2d n=1 c=320 h=7 w=7 k=1280 kh=1 kw=1",    // 4: long reduction, 49 pixels < K
            "op=conv2d n=1 c=256 h=56 w=56 k=64 kh=1 kw=1",    // 5: long reduction, 3136 pixels
            "op=conv2d n=1 c=24 h=56 w=56 k=48 kh=1 kw=1 stride=2", // 6: strided: never pv
            "op=conv2d n=1 c=64 h=56 w=56 k=16 kh=1 kw=1",     // 7: K = 16: one channel-vector tile, four pixel-vector ones
            "op=conv2d n=1 c=512 h=28 w=28 k=128 kh=1 kw=1",   // 8: long reduction, 784 pixels: no pv
            "op=conv2d n=1 c=128 h=28 w=28 k=512 kh=1 kw=1",   // 9: K more than half the pixels
        };
        String avx512 = "PV/C PV/C PV/C CM/P CM/P PV/C CM/C PV/C CM/C CM/P";
        String avx2 = "PV/C CM/C CM/C CM/P CM/P CM/C CM/C CM/P CM/C CM/P";
        for (OpenClDeviceInfo d : List.of(AVX512, AVX2)) {
            DeviceProfile p = DeviceProfile.of(d);
            StringBuilder kinds = new StringBuilder();
            for (String line : lines) {
                GemmConfig g = p.gemm(Problems.parse(line));
                kinds.append(kinds.length() == 0 ? "" : " ").append(g.kind()).append('/').append(g.order().name().charAt(0));
                // whichever kind, the default is the device's register tile of that kind
                assertEquals(g.kind() == GemmConfig.Kind.PV
                        ? GemmConfig.pv(p.vectorWidth(), p.accumulators() / 8 + 1, 4 * p.vectorWidth(), 1).withOrder(g.order())
                        : GemmConfig.cm(p.vectorWidth(), 2 * p.vectorWidth(), p.accumulators() / 2, 1).withOrder(g.order()),
                        g, line);
            }
            assertEquals(d == AVX512 ? avx512 : avx2, kinds.toString(), d.name());
        }
        // K = 16 on a map smaller than twice it stays in pixel order (the weights outweigh the input)
        assertEquals(GemmConfig.Order.PIXELS, DeviceProfile.of(AVX512).gemm(Problems.parse("op=conv2d n=1 c=16 h=5 w=5 k=16 kh=1 kw=1")).order());
        // MobileNetV2's 32-to-16 on 112x112: AVX-512's 4-channel pixel-vector tile, channel tiles
        // first; AVX2's one channel-vector tile of 16, pixel order
        Convolution narrowOut = Problems.parse("op=conv2d n=1 c=32 h=112 w=112 k=16 kh=1 kw=1");
        assertEquals(GemmConfig.pv(16, 4, 64, 1).withOrder(GemmConfig.Order.CHANNELS), DeviceProfile.of(AVX512).gemm(narrowOut));
        assertEquals(GemmConfig.cm(8, 16, 6, 1), DeviceProfile.of(AVX2).gemm(narrowOut));
        // K = 4 is one tile of AVX-512's 4 channel rows: pixel order
        assertEquals(GemmConfig.Order.PIXELS,
                DeviceProfile.of(AVX512).gemm(Problems.parse("op=conv2d n=1 c=32 h=56 w=56 k=4 kh=1 kw=1")).order());
        // AVX2's 2-row pixel-vector tile of a 16-to-16 on 56x56 keeps pixel order (not measured)
        GemmConfig avx2Narrow = DeviceProfile.of(AVX2).gemm(Problems.parse("op=conv2d n=1 c=16 h=56 w=56 k=16 kh=1 kw=1"));
        assertEquals(GemmConfig.Kind.PV, avx2Narrow.kind());
        assertEquals(GemmConfig.Order.PIXELS, avx2Narrow.order());
        // groups of few output channels keep their pixel vectors whatever the reduction, in pixel order
        Convolution narrow = Problems.parse("op=conv2d n=1 c=512 h=14 w=14 k=512 kh=3 kw=3 pad=1 groups=64");
        assertEquals(GemmConfig.pv(16, 4, 64, 1), DeviceProfile.of(AVX512).gemm(narrow));
        // a 1x1 with groups (ShuffleNet's) and every spatial kernel keep pixel order
        for (String line : List.of("op=conv2d n=1 c=240 h=28 w=28 k=240 kh=1 kw=1 groups=3",
                "op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1")) {
            assertEquals(GemmConfig.Order.PIXELS, DeviceProfile.of(AVX512).gemm(Problems.parse(line)).order(), line);
        }
        // GPUs keep their local-memory tiles, which have no order
        assertEquals(GemmConfig.Kind.LM, DeviceProfile.of(NVIDIA).gemm(Problems.parse(lines[5])).kind());
    }

    @Test
    void largeKernelsOnSmallMapsDefaultToTheRowReuseKernelOnCpus() {
        Convolution dw31 = DW31;
        Convolution dw29 = DW29;
        Convolution dw13 = DW13;
        Convolution dw5 = Problems.parse("op=conv2d n=1 c=128 h=14 w=14 k=128 kh=5 kw=5 pad=2 groups=128");
        Convolution dw27 = Problems.parse("op=conv2d n=1 c=512 h=14 w=14 k=512 kh=27 kw=27 pad=13 groups=512");
        // AVX-512: the 2x16-float and 1x16-float tiles of 7 rows fit its 28 accumulator registers
        DeviceProfile wide = DeviceProfile.of(AVX512);
        assertTile("rows vw=16 nv=2 th=7 cb=1", wide.depthwiseConfig(dw29), dw29);
        // AVX2: the same tile needs 28 of its 12 accumulator registers: the staged kernel
        DeviceProfile narrow = DeviceProfile.of(AVX2);
        assertEquals(narrow.depthwise(dw29).orElseThrow(), narrow.depthwiseConfig(dw29).orElseThrow());
        for (OpenClDeviceInfo d : List.of(AVX2, AVX512)) {
            DeviceProfile p = DeviceProfile.of(d);
            assertEquals(p.depthwise(dw31).orElseThrow(), p.depthwiseConfig(dw31).orElseThrow(), d.name());
            // the 5x5 on 14x14: the map kernel with AVX-512 (depthwiseMapIsTheDefault... below), staged with AVX2
            assertEquals(d == AVX512 ? new DepthwiseMapPlan.Tile(16, 1, 14, 1) : p.depthwise(dw5).orElseThrow(),
                    p.depthwiseConfig(dw5).orElseThrow(), d.name());
            // all three kernels' tiles are candidates, the default first
            List<KernelTile> all = p.depthwiseConfigs(dw13);
            assertEquals(p.depthwiseConfig(dw13).orElseThrow(), all.get(0));
            assertTrue(all.stream().anyMatch(t -> t instanceof DepthwisePlan.Tile), all.toString());
            assertTrue(all.stream().anyMatch(t -> t instanceof DepthwiseRowsPlan.Tile), all.toString());
        }
        // a GPU runs the row-reuse kernel one work-item a group: never its default
        assertTrue(DeviceProfile.of(NVIDIA).depthwiseConfig(dw13).orElseThrow() instanceof DepthwisePlan.Tile);
        // 256 / 49 outputs -> 4 channels a work-group; fewer when there are too few planes
        DeviceProfile avx512 = DeviceProfile.of(AVX512);
        DepthwisePlan.Tile t = new DepthwisePlan.Tile(8, 1, 7, 1, 1);
        assertEquals(4, avx512.depthwiseChannels(dw13, t));
        assertEquals(1, avx512.depthwiseChannels(Problems.parse("op=conv2d n=1 c=8 h=7 w=7 k=8 kh=13 kw=13 pad=6 groups=8"), t));
    }

    @Test
    void kernelsLargerThanTheMapDefaultToThePlaneKernelOnCpus() {
        Convolution dw13 = Problems.parse("op=conv2d n=1 c=1024 h=7 w=7 k=1024 kh=13 kw=13 pad=6 groups=1024");
        Convolution dw27 = Problems.parse("op=conv2d n=1 c=512 h=14 w=14 k=512 kh=27 kw=27 pad=13 groups=512");
        Convolution dw29 = Problems.parse("op=conv2d n=1 c=256 h=28 w=28 k=256 kh=29 kw=29 pad=14 groups=256");
        Convolution dw31 = Problems.parse("op=conv2d n=1 c=128 h=56 w=56 k=128 kh=31 kw=31 pad=15 groups=128");
        Convolution dw5 = Problems.parse("op=conv2d n=1 c=128 h=56 w=56 k=128 kh=5 kw=5 pad=2 groups=128");
        Convolution mb3 = Problems.parse("op=conv2d n=1 c=384 h=14 w=14 k=384 kh=3 kw=3 pad=1 groups=384");
        // the share of a window's taps the plane kernel multiplies: 49/169 and 196/729 with whole vectors
        assertEquals(49.0 * 7 / (7 * 169), DeviceProfile.planeShare(dw13, 8), 1e-12);
        assertEquals(196.0 * 14 / (14 * 729), DeviceProfile.planeShare(dw27, 16), 1e-12);
        assertEquals(0.69, DeviceProfile.planeShare(dw29, 16), 0.005);
        assertEquals(0.97, DeviceProfile.planeShare(dw31, 16), 0.005);
        assertEquals(3.33, DeviceProfile.planeShare(dw5, 16), 0.005);
        DeviceProfile wide = DeviceProfile.of(AVX512);
        assertTile("plane vw=8 th=7 xc=7 cb=4", wide.depthwiseConfig(dw13), dw13);
        assertTile("plane vw=16 th=14 xc=14 cb=1", wide.depthwiseConfig(dw27), dw27);
        DeviceProfile narrow = DeviceProfile.of(AVX2);
        assertTile("plane vw=8 th=7 xc=7 cb=4", narrow.depthwiseConfig(dw13), dw13);
        assertTile("plane vw=8 th=3 xc=8 cb=4", narrow.depthwiseConfig(dw27), dw27);
        for (OpenClDeviceInfo d : List.of(AVX2, AVX512)) {
            DeviceProfile p = DeviceProfile.of(d);
            for (Convolution s : List.of(dw29, dw31, dw5, mb3)) {
                assertFalse(p.prefersPlane(s), d.name() + " " + s);
                assertFalse(p.depthwiseConfig(s).orElseThrow() instanceof DepthwisePlanePlan.Tile, d.name() + " " + s);
            }
            // register tile: the accumulators and the weight vectors held at once fit the registers
            for (Convolution s : List.of(dw13, dw27)) {
                for (DepthwisePlanePlan.Tile t : p.depthwisePlaneCandidates(s)) {
                    assertTrue(t.fits(s, d), d.name() + " " + t);
                }
                DepthwisePlanePlan.Tile t = (DepthwisePlanePlan.Tile) p.depthwiseConfig(s).orElseThrow();
                assertTrue(t.th() * t.vectors(s) + t.xc() <= p.vectorRegisters() - 2, d.name() + " " + t);
            }
        }
        // a GPU: one tile, never the default (one work-item a work-group); none at stride 2
        assertEquals(1, DeviceProfile.of(NVIDIA).depthwisePlaneCandidates(dw13).size());
        assertFalse(DeviceProfile.of(NVIDIA).depthwiseConfig(dw13).orElseThrow() instanceof DepthwiseMapPlan.Tile);
        assertFalse(DeviceProfile.of(NVIDIA).prefersPlane(dw13));
        assertEquals(List.of(), wide.depthwisePlaneCandidates(
                Problems.parse("op=conv2d n=1 c=8 h=7 w=7 k=8 kh=13 kw=13 stride=2 pad=6 groups=8")));
    }

    /**
     * A GPU's default depthwise tile: 16x8 work-items of 2-float vectors and 2 rows, except for
     * kernels of 16 and more (RepLKNet's 27-31), 8x8 work-items of one 4-float vector and 1 row,
     * the tile `convcl tune` chose for the 31x31 on an H200 (0.062 ms against 0.096); a device
     * whose work-groups hold fewer than 64 work-items keeps the small tile.
     */
    @Test
    void gpusRunHugeDepthwiseKernelsOnEightByEightGroupsOfFourFloatVectors() {
        Convolution dw31 = DW31;
        Convolution dw29 = DW29;
        Convolution dw13 = DW13;
        Convolution dw3 = Problems.parse("op=conv2d n=1 c=32 h=112 w=112 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32 bias=1");
        DeviceProfile gpu = DeviceProfile.of(NVIDIA);
        assertEquals(new DepthwisePlan.Tile(4, 1, 1, 8, 8), gpu.depthwise(dw31).orElseThrow());
        assertEquals(new DepthwisePlan.Tile(4, 1, 1, 8, 8), gpu.depthwise(dw29).orElseThrow());
        assertEquals(2, gpu.depthwise(dw13).orElseThrow().vw(), "13x13 keeps the small tile");
        assertEquals(new DepthwisePlan.Tile(2, 1, 2, 16, 8), gpu.depthwise(dw3).orElseThrow());
        assertTrue(DeviceProfile.of(EMBEDDED).depthwise(dw31).map(t -> t.workGroupSize() <= 64).orElse(true),
                "a device of 64 work-items a group runs only tiles within it");
    }

    @Test
    void gpusGetWorkGroupsOfWarpsWithinTheirLimits() throws IOException {
        Convolution dense = Problems.parse("op=conv2d n=1 c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        assertEquals(GemmConfig.lm(16, 16, 64, 64, 16), DeviceProfile.of(NVIDIA).gemm(dense));
        GemmConfig small = DeviceProfile.of(EMBEDDED).gemm(dense);
        assertEquals(GemmConfig.Kind.LM, small.kind());
        assertTrue(small.workGroupSize() <= 64, small.toString());
        assertEquals(32, DeviceProfile.of(NVIDIA).directLocalSize()[0]);
        for (Convolution s : problems()) {
            if (KernelFamily.of(s) == KernelFamily.DEPTHWISE) {
                assertTrue(DeviceProfile.of(NVIDIA).depthwise(s).orElseThrow().workGroupSize() >= 32, s.toString());
            }
            if (KernelFamily.of(s) == KernelFamily.DEFORM) {
                assertTrue(DeviceProfile.of(NVIDIA).deform(s).orElseThrow().workGroupSize() >= 16, s.toString());
            }
        }
    }

    /** The tile a device profile chose for {@code spec} is present and prints as {@code expected}. */
    private static void assertTile(String expected, Optional<?> tile, Convolution spec) {
        assertEquals(expected, tile.orElseThrow(() -> new AssertionError("no tile for " + spec)).toString(),
                spec.toString());
    }

    /** The device profile chose a default tile for {@code s}, and it and every candidate fit {@code s} on {@code d}. */
    private static void assertDefaultAndCandidatesFit(Optional<? extends KernelTile> chosen,
                                                      List<? extends KernelTile> candidates, Convolution s,
                                                      OpenClDeviceInfo d) {
        String where = d.name() + ": " + s;
        KernelTile t = chosen.orElseThrow(() -> new AssertionError("no default tile: " + where));
        assertTrue(t.fits(s, d), where + " " + t);
        candidates.forEach(c -> assertTrue(c.fits(s, d), where + " " + c));
    }

    /**
     * depthwise-map: the default for small maps whose whole planes' accumulators fit the registers
     * (MobileNet's 14x14 and 7x7 at stride 1 and 2 with AVX-512; only the 7x7 with AVX2, whose
     * 14-wide rows take two registers each), and for rows of several vectors at stride 1 or 2,
     * which the kernel builds from register rows (row tiles of at least 2 rows); never for large
     * kernels (plane or rows), rows of more than 8 vectors, other strides, or a GPU (one candidate
     * there, never the default).
     */
    @Test
    void depthwiseMapIsTheDefaultForSmallMapsWhoseRowsFitTheRegisters() {
        Convolution dw14 = Problems.parse("op=conv2d n=1 c=384 h=14 w=14 k=384 kh=3 kw=3 pad=1 groups=384");
        Convolution dw14s2 = Problems.parse("op=conv2d n=1 c=576 h=14 w=14 k=576 kh=3 kw=3 stride=2 pad=1 groups=576");
        Convolution dw7 = Problems.parse("op=conv2d n=1 c=960 h=7 w=7 k=960 kh=3 kw=3 pad=1 groups=960");
        Convolution dw7k5 = Problems.parse("op=conv2d n=8 c=576 h=7 w=7 k=576 kh=5 kw=5 pad=2 groups=576");
        Convolution dw56 = Problems.parse("op=conv2d n=1 c=144 h=56 w=56 k=144 kh=3 kw=3 pad=1 groups=144");
        DeviceProfile wide = DeviceProfile.of(AVX512);
        assertTile("map vw=16 nv=1 th=14 cb=1", wide.depthwiseConfig(dw14), dw14);
        assertTile("map vw=8 nv=1 th=7 cb=4", wide.depthwiseConfig(dw14s2), dw14s2);
        assertTile("map vw=8 nv=1 th=7 cb=4", wide.depthwiseConfig(dw7), dw7);
        assertTile("map vw=8 nv=1 th=7 cb=4", wide.depthwiseConfig(dw7k5), dw7k5);
        DeviceProfile narrow = DeviceProfile.of(AVX2);
        assertFalse(narrow.prefersMap(dw14));
        assertFalse(narrow.depthwiseConfig(dw14).orElseThrow() instanceof DepthwiseMapPlan.Tile);
        assertTrue(narrow.depthwiseMapCandidates(dw14).stream().anyMatch(t -> t.vw() == 16 && t.nv() == 1),
                narrow.depthwiseMapCandidates(dw14).toString());
        assertTile("map vw=8 nv=1 th=7 cb=4", narrow.depthwiseConfig(dw7), dw7);
        // rows of several vectors at stride 1 and 2: register rows, row tiles of the register width
        Convolution dw112 = Problems.parse("op=conv2d n=1 c=32 h=112 w=112 k=32 kh=3 kw=3 pad=1 groups=32");
        Convolution dw112s2 = Problems.parse("op=conv2d n=1 c=96 h=112 w=112 k=96 kh=3 kw=3 stride=2 pad=1 groups=96");
        Convolution dw28k5s2 = Problems.parse("op=conv2d n=1 c=96 h=56 w=56 k=96 kh=5 kw=5 stride=2 pad=2 groups=96");
        assertTile("map vw=16 nv=4 th=3 cb=1", wide.depthwiseConfig(dw56), dw56);
        assertTile("map vw=16 nv=7 th=2 cb=1", wide.depthwiseConfig(dw112), dw112);
        assertTile("map vw=16 nv=4 th=3 cb=1", wide.depthwiseConfig(dw112s2), dw112s2);
        assertTile("map vw=16 nv=2 th=4 cb=2", wide.depthwiseConfig(dw28k5s2), dw28k5s2);
        Convolution dw56k5 = Problems.parse("op=conv2d n=1 c=128 h=56 w=56 k=128 kh=5 kw=5 pad=2 groups=128");
        assertTile("map vw=16 nv=4 th=2 cb=2", wide.depthwiseConfig(dw56k5), dw56k5);
        assertTile("map vw=8 nv=7 th=2 cb=2", narrow.depthwiseConfig(dw56), dw56);
        assertTile("map vw=8 nv=7 th=2 cb=2", narrow.depthwiseConfig(dw112s2), dw112s2);
        // 112 wide in 8-float vectors: 14 of them, more than the kernel unrolls
        assertFalse(narrow.prefersMap(dw112));
        assertFalse(narrow.depthwiseConfig(dw112).orElseThrow() instanceof DepthwiseMapPlan.Tile);
        // stride 3 along x: lane loads, no faster than the staged kernel there; a kernel wider than 9: likewise
        Convolution dw56s3 = Problems.parse("op=conv2d n=1 c=8 h=56 w=56 k=8 kh=3 kw=3 stride=3 pad=1 groups=8");
        Convolution dw56k11 = Problems.parse("op=conv2d n=1 c=8 h=20 w=56 k=8 kh=1 kw=11 pad=0,5 groups=8");
        // a 7x7 on wide rows: register rows, but slower than the staged kernel where measured
        Convolution dw56k7 = Problems.parse("op=conv2d n=1 c=96 h=56 w=56 k=96 kh=7 kw=7 pad=3 groups=96");
        for (DeviceProfile p : List.of(wide, narrow)) {
            assertTrue(p.prefersMap(dw56));
            assertFalse(p.prefersMap(dw56s3), p.depthwiseConfig(dw56s3).toString());
            assertFalse(p.prefersMap(dw56k11), p.depthwiseConfig(dw56k11).toString());
            assertFalse(p.prefersMap(dw56k7), p.depthwiseConfig(dw56k7).toString());
            for (DepthwiseMapPlan.Tile t : p.depthwiseMapCandidates(dw56)) {
                assertTrue(t.vw() * t.nv() >= 56 && t.th() < 56 && t.fits(dw56, p == wide ? AVX512 : AVX2), t.toString());
            }
            assertFalse(p.depthwiseConfig(DW13).orElseThrow() instanceof DepthwiseMapPlan.Tile);
            for (Convolution s : List.of(dw14, dw7, dw7k5)) {
                List<KernelTile> all = p.depthwiseConfigs(s);
                assertTrue(all.containsAll(p.depthwiseMapCandidates(s)), s.toString());
                assertEquals(all.size(), new java.util.HashSet<>(all).size(), "no repeats: " + all);
            }
        }
        DeviceProfile gpu = DeviceProfile.of(NVIDIA);
        assertEquals(List.of(new DepthwiseMapPlan.Tile(16, 1, 2, 1)), gpu.depthwiseMapCandidates(dw14));
        assertFalse(gpu.prefersMap(dw14));
        assertFalse(gpu.depthwiseConfig(dw14).orElseThrow() instanceof DepthwiseMapPlan.Tile);
    }
}
