package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.NonFinite;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.PrivateCacheDir;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cross-checks the implicit-GEMM kernels against {@link ReferenceConv}: every configuration the
 * tuner can choose (CPU-style tiles for vector widths 16, 8 and 4, GPU-style local-memory tiles)
 * on odd shapes that hit each edge: channels and pixels not multiples of the tile, one to
 * seventeen channels per group, strides 1-3, dilations 1-4, unequal padding, 1x1, 1x7, 7x1, 3x3,
 * 5x5, 7x7 stride 2, groups 1/2/3/32, batch 1-3, bias and ReLU on and off.
 */
class GemmConvOpenClTest {
    /** One line per edge; the comment says which. */
    static final List<String> SHAPES = List.of(
            // C/groups = 3, K = 37 (no tile divides it), 13 wide, bias + relu
            "op=conv2d n=2 c=3 h=11 w=13 k=37 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 relu=1",
            // C = 17, stride 2, padding 1 rows / 2 columns
            "op=conv2d n=1 c=17 h=9 w=23 k=19 kh=3 kw=3 stride=2 pad=1,2 dil=1 groups=1 bias=0 relu=0",
            // 3 groups of 2 channels, stride 3, dilation 2, batch 3
            "op=conv2d n=3 c=6 h=12 w=10 k=9 kh=3 kw=3 stride=3 pad=2 dil=2 groups=3 bias=1 relu=0",
            // 2 groups of 17 channels, 5x5 at dilation 2
            "op=conv2d n=1 c=34 h=14 w=19 k=34 kh=5 kw=5 stride=1 pad=4 dil=2 groups=2 bias=0 relu=1",
            // 1x7 with padding only along the width
            "op=conv2d n=2 c=5 h=17 w=15 k=23 kh=1 kw=7 stride=1 pad=0,3 dil=1 groups=1 bias=1 relu=0",
            // 7x1 with padding only along the height
            "op=conv2d n=1 c=5 h=17 w=15 k=23 kh=7 kw=1 stride=1 pad=3,0 dil=1 groups=1 bias=0 relu=1",
            // 7x7 stride 2 stem with three input channels
            "op=conv2d n=1 c=3 h=29 w=31 k=20 kh=7 kw=7 stride=2 pad=3 dil=1 groups=1 bias=1 relu=1",
            // 32 groups of one input channel and two outputs (C/groups = 1; selection sends it to the
            // depthwise kernels, but the GEMM kernels must get it right too)
            "op=conv2d n=2 c=32 h=7 w=9 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32 bias=0 relu=1",
            // pointwise: a plain GEMM, no padding
            "op=conv2d n=2 c=19 h=9 w=11 k=41 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 bias=1 relu=0",
            // strided pointwise
            "op=conv2d n=1 c=12 h=13 w=11 k=18 kh=1 kw=1 stride=2 pad=0 dil=1 groups=1 bias=0 relu=0",
            // dilation 4
            "op=conv2d n=1 c=7 h=19 w=21 k=33 kh=3 kw=3 stride=1 pad=4 dil=4 groups=1 bias=1 relu=0",
            // unequal dilation and stride per axis
            "op=conv2d n=2 c=4 h=16 w=18 k=10 kh=3 kw=3 stride=1,2 pad=3,1 dil=3,1 groups=1 bias=0 relu=1",
            // pointwise with padding (a border of bias-only outputs)
            "op=conv2d n=1 c=9 h=6 w=7 k=17 kh=1 kw=1 stride=1 pad=1 dil=1 groups=1 bias=1 relu=0",
            // 2 groups of 17 output channels (grouped, not narrow), stride 1,3 asymmetric
            "op=conv2d n=1 c=8 h=10 w=20 k=34 kh=3 kw=2 stride=1,3 pad=1,0 dil=1 groups=2 bias=1 relu=1",
            // an image smaller than the kernel: every tap's pixels run past both edges of the row
            "op=conv2d n=2 c=3 h=3 w=2 k=7 kh=5 kw=5 stride=1 pad=2 dil=1 groups=1 bias=1 relu=0",
            // 3x3 stride 2 stem over three input channels (R = 27: pixel vectors at stride 2 on
            // AVX-512), rows of 19 outputs ending inside a vector; twice, so the float test, which
            // takes every other shape, selects it
            "op=conv2d n=2 c=3 h=17 w=37 k=20 kh=3 kw=3 stride=2 pad=1 dil=1 groups=1 bias=1 relu=1",
            "op=conv2d n=1 c=3 h=16 w=38 k=16 kh=3 kw=3 stride=2 pad=1 dil=1 groups=1 bias=0 relu=0");

    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    /** The configurations of 16-float vectors (AVX-512 CPUs, this test's usual POCL) and of GPUs. */
    static Set<GemmConfig> primaryConfigs() {
        Set<GemmConfig> primary = new LinkedHashSet<>(GemmDefaults.cpuCandidates(16));
        primary.addAll(GemmDefaults.gpuCandidates());
        for (String line : SHAPES) {
            Convolution s = Problems.parse(line);
            primary.add(GemmDefaults.of(s, true, 16));
            primary.add(GemmDefaults.of(s, false, 16));
        }
        return primary;
    }

    /** Every configuration the tuner may choose on any device, the defaults included. */
    static List<GemmConfig> allConfigs() {
        Set<GemmConfig> all = primaryConfigs();
        for (int width : new int[] {8, 4}) {
            all.addAll(GemmDefaults.cpuCandidates(width));
            for (String line : SHAPES) {
                all.add(GemmDefaults.of(Problems.parse(line), true, width));
            }
        }
        return new ArrayList<>(all);
    }

    /**
     * Register tiles build once per tile and geometry (about a second each on POCL), so each runs
     * on this many shapes, in rotation (the narrower-vector variants, the same code with another
     * vector type, on one); the test checks that the rotation still gives every shape to both
     * register kernels.
     */
    static final int SHAPES_PER_REGISTER_TILE = 2;

    @Test
    void everyConfigurationMatchesTheReferenceExactlyOnIntegers() {
        List<Convolution> specs = SHAPES.stream().map(Problems::parse).toList();
        Map<GemmConfig, List<Integer>> plan = assignShapes(specs);
        Map<Integer, Args> inputs = new HashMap<>();
        Map<Integer, float[]> expected = new HashMap<>();
        Set<String> tilings = new HashSet<>();
        for (Map.Entry<GemmConfig, List<Integer>> e : plan.entrySet()) {
            GemmConfig cfg = e.getKey();
            for (int i : e.getValue()) {
                Convolution spec = specs.get(i);
                Args args = inputs.computeIfAbsent(i, k -> Tensors.args(spec, 1000 + k, true, 0));
                float[] ref = expected.computeIfAbsent(i, k -> CrossCheck.reference(spec, args));
                try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg)) {
                    float[] out = Primitives.output(DEVICE.backend(), p, spec, args);
                    assertExactly(ref, out, spec + " with " + cfg + " (" + p.algorithm() + ")");
                    assertTrue(p.lastKernelMillis() >= 0, spec + " " + cfg + ": device time " + p.lastKernelMillis());
                    if (cfg.kind() != GemmConfig.Kind.LM) {
                        GemmConvPlan.Geometry g = p.geometry();
                        // pv along an image as wide as the output (1x1) stores whole vectors across rows
                        boolean flat = cfg.kind() == GemmConfig.Kind.PV && g.linear && g.planeW == spec.outW();
                        tilings.add(cfg.kind() + (flat ? " along the output" : g.linear ? " along the image" : " in rows")
                                + (g.implicitPad ? ", padding as it reads" : ""));

                    }
                }
            }
        }
        assertEquals(Set.of("CM in rows", "CM in rows, padding as it reads", "CM along the image",
                "PV in rows", "PV along the image", "PV along the output"), tilings);
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /**
     * The 1x1 builds of both register kernels (POINTWISE: the tap loop is the input-channel loop
     * alone, 16-float tiles) on the pointwise shapes of {@link #SHAPES} (plain, strided, padded
     * and copied), each exactly as the reference; the rotation of the test above need not give
     * them a 16-float tile.
     */
    @Test
    void oneByOneBuildsMatchTheReferenceExactlyOnIntegers() {
        Set<GemmConfig.Kind> ran = EnumSet.noneOf(GemmConfig.Kind.class);
        int k = 0;
        for (String line : SHAPES) {
            Convolution spec = Problems.parse(line);
            if (spec.kh() != 1 || spec.kw() != 1 || spec.groups() != 1) {
                continue;
            }
            Args args = Tensors.args(spec, 2000 + k++, true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            for (GemmConfig cfg : List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.pv(16, 4, 64, 1))) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg)) {
                    if (!p.geometry().options.contains("-DPOINTWISE=1")) {
                        continue;
                    }
                    ran.add(cfg.kind());
                    float[] out = Primitives.output(DEVICE.backend(), p, spec, args);
                    assertExactly(ref, out, spec + " with " + cfg + " (1x1 build)");
                }
            }
        }
        assertEquals(EnumSet.of(GemmConfig.Kind.CM, GemmConfig.Kind.PV), ran);
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /**
     * Register tiles that prefetch input rows ahead ({@code PREFETCH_DIST}, forced on with a bound
     * of one byte; the host asks it only where a group's planes fill a CPU core's L2) on four
     * spatial shapes of {@link #SHAPES} (padded and read in place; groups at stride 3 and
     * dilation 2; a 5x5 at dilation 2; an image smaller than the kernel), with both register
     * kernels, padded copies and reads in place, in pixel and channel order: exactly as the
     * reference, since a prefetch only moves data into the cache (also past the last channel,
     * where it must not fault). (Every spatial shape took 170 s more of kernel builds on a fresh
     * POCL cache.)
     */
    @Test
    void prefetchingTilesMatchTheReferenceExactly() {
        int k = 0;
        Set<String> paths = new HashSet<>();
        for (int i : new int[] {0, 2, 3, 14}) {
            Convolution spec = Problems.parse(SHAPES.get(i));
            Args args = Tensors.args(spec, 5000 + k++, true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            List<GemmConfig> configs = switch (i) {
                case 2 -> List.of(GemmConfig.cm(16, 16, 7, 1).withOrder(GemmConfig.Order.CHANNELS));
                case 14 -> List.of(GemmConfig.cm(16, 32, 14, 1));
                default -> List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.pv(16, 4, 32, 1));
            };
            for (GemmConfig cfg : configs) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg, 1)) {
                    assertTrue(p.geometry().options.contains("-DPREFETCH_DIST="), p.geometry().options);
                    assertTrue(p.algorithm().endsWith("-pf"), p.algorithm());
                    float[] out = Primitives.output(DEVICE.backend(), p, spec, args);
                    assertExactly(ref, out, spec + " with " + cfg + " (" + p.algorithm() + ", prefetching)");
                    paths.add(cfg.kind() + (p.geometry().implicitPad ? " in place" : " copied"));
                }
            }
        }
        assertEquals(Set.of("CM in place", "CM copied", "PV copied"), paths);
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /**
     * Register tiles that prefetch the next channel tile's weight panel ({@code PANEL_PREFETCH}:
     * on a CPU device in pixel order, where a panel pair fits the L2 bound, here 1 MiB) with both
     * register kernels: read in place and from the padded copy, the 1x1 channel loop, groups, and
     * batches of 2 and 3: the host asks it on every path, the kernels build with it and leave
     * their tap loops' pointers alone, and the results are exactly the reference's. What a
     * prefetch asks for never shows in the results (a review moved every target 256 GiB away and
     * this test still passed): which panel is asked for is checked by reading the kernel, not here.
     */
    /**
     * Register tiles that prefetch the sum tensor's values of their tile ({@code SUM_PREFETCH}, on
     * a CPU device with a sum post-op): tiles within rows and along the virtual grid (one starting
     * in its padding columns), groups, batches, channel tiles left partly empty, stride 2, both
     * register kernels. A prefetch reads nothing into the results, so they must be bit for bit
     * those of the same plan without it (bound 0), and the reference's within float rounding.
     * Which values are asked for is checked by reading the kernel against its epilogue, not here.
     */
    @Test
    void sumPrefetchingTilesGiveTheResultsOfTilesWithout() {
        List<String> shapes = List.of(
                // 2 groups of 22 channels (tiles of 16 and 32 partly empty), 2 images, padded
                "op=conv2d n=2 c=12 h=17 w=17 k=44 kh=3 kw=3 stride=1 pad=1 dil=1 groups=2 bias=1 post=sum+relu",
                // 1x1, 3 images, 20 channels
                "op=conv2d n=3 c=16 h=9 w=15 k=20 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 bias=0 post=sum:0.5",
                // stride 2: tiles within rows; the sum after an activation
                "op=conv2d n=1 c=10 h=11 w=13 k=36 kh=3 kw=3 stride=2 pad=1 dil=1 groups=1 bias=1 post=relu+sum:0.5");
        Set<String> paths = new HashSet<>();
        int k = 0;
        for (String line : shapes) {
            Convolution spec = Problems.parse(line);
            Args args = Tensors.args(spec, 6100 + k++, true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            for (GemmConfig cfg : List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.cm(8, 16, 6, 1),
                    GemmConfig.pv(16, 6, 32, 1), GemmConfig.pv(8, 16, 16, 1))) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                float[] without;
                try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg, 0)) {
                    assertFalse(p.geometry().options.contains("SUM_PREFETCH"), p.geometry().options);
                    without = Primitives.output(DEVICE.backend(), p, spec, args);
                }
                try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg, 1 << 20)) {
                    GemmConvPlan.Geometry g = p.geometry();
                    String what = spec + " with " + cfg + " (" + p.algorithm() + ", " + g.options + ")";
                    assertTrue(g.options.contains("-DSUM_PREFETCH=1"), what);
                    float[] out = Primitives.output(DEVICE.backend(), p, spec, args);
                    assertExactly(without, out, what + ", prefetching the sum, against the same tile without");
                    double err = Tensors.relativeL2(ref, out);
                    assertTrue(err <= 1e-5, what + ": relative L2 " + err + " against the reference");
                    paths.add(cfg.kind() + (g.linear ? (g.iwp > spec.outW() ? " linear padded" : " linear") : " rows"));
                }
            }
        }
        assertTrue(paths.containsAll(Set.of("CM rows", "CM linear", "PV rows", "PV linear", "PV linear padded")),
                "tilings covered: " + paths);
    }

    /**
     * Channel-vector tiles of 16-float vectors whose pixels are a whole run of a row, in tiles of
     * all TM channels, run the chain from its first sum on after the transposition, a channel's
     * run at a time ({@code store_run_sum}: pieces of 16, 8, 4, 2 and 1 values), and the bias and
     * the steps before the sum on the tile's vectors: runs of 5 to 20 pixels (as the plan shares
     * a row among its tiles) beside a row's last tile cut by its end and channel tiles left partly
     * empty (which read the sum lane by lane), groups, stride 2, a batch of 2, the sum first and
     * after an activation (a chain has at most one), with and without bias. Integer data and exact chains: exactly the
     * reference's results; chains with transcendental activations before and after the sum within
     * float rounding.
     */
    @Test
    void channelVectorTilesAddTheSumAlongWholeRuns() {
        List<String> exact = List.of(
                // 31 wide: whole runs, and the last tile of a row cut by its end
                "op=conv2d n=2 c=7 h=9 w=31 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 post=sum+relu",
                // 40 channels: a full tile of 32 and one of 8 channels
                "op=conv2d n=1 c=20 h=6 w=40 k=40 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=0 post=relu+sum:0.5",
                // 2 groups of 32 channels, stride 2 (17 wide)
                "op=conv2d n=1 c=8 h=5 w=33 k=64 kh=3 kw=3 stride=2 pad=1 dil=1 groups=2 bias=1 post=sum:-2+relu");
        List<String> rounded = List.of(
                "op=conv2d n=1 c=5 h=4 w=31 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 post=silu+sum:0.5",
                "op=conv2d n=1 c=5 h=4 w=31 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 post=sum:0.25+hardswish+gelu");
        List<GemmConfig> tiles = List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.cm(16, 32, 7, 1),
                GemmConfig.cm(16, 32, 9, 1), GemmConfig.cm(16, 32, 5, 1), GemmConfig.cm(16, 16, 28, 1));
        java.util.regex.Pattern tnOption = java.util.regex.Pattern.compile("-DTN=(\\d+)");
        Map<Boolean, Set<Integer>> runs = new HashMap<>();
        int k = 0;
        for (String line : concat(exact, rounded)) {
            boolean isExact = exact.contains(line);
            Convolution spec = Problems.parse(line);
            Args args = Tensors.args(spec, 6200 + k++, isExact, 0);
            float[] ref = CrossCheck.reference(spec, args);
            for (GemmConfig cfg : tiles) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg, 0)) {
                    String what = spec + " with " + cfg + " (" + p.algorithm() + ", " + p.geometry().options + ")";
                    float[] out = Primitives.output(DEVICE.backend(), p, spec, args);
                    if (isExact) {
                        assertExactly(ref, out, what);
                    } else {
                        double err = Tensors.relativeL2(ref, out);
                        assertTrue(err <= 1e-5, what + ": relative L2 " + err + " against the reference");
                    }
                    java.util.regex.Matcher tn = tnOption.matcher(p.geometry().options);
                    assertTrue(tn.find(), what);
                    if (!p.geometry().linear) {
                        runs.computeIfAbsent(isExact, x -> new HashSet<>()).add(Integer.parseInt(tn.group(1)));
                    }
                }
            }
        }
        for (Map.Entry<Boolean, Set<Integer>> e : runs.entrySet()) {
            Set<Integer> pieces = new HashSet<>();
            for (int run : e.getValue()) {
                for (int piece = 1; piece <= 16; piece <<= 1) {
                    if ((run & piece) != 0) {
                        pieces.add(piece);
                    }
                }
            }
            assertEquals(Set.of(1, 2, 4, 8, 16), pieces, "store_run_sum's pieces reached by the runs " + e.getValue()
                    + (e.getKey() ? " of the exact chains" : " of the rounded ones"));
        }
        assertEquals(Set.of(true, false), runs.keySet(), "chains whose tiles read rows");
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void panelPrefetchingTilesMatchTheReferenceExactly() {
        long l2 = 1 << 20;
        List<String> shapes = List.of(
                // K = 70: three channel tiles of 32 over two images, read in place
                "op=conv2d n=2 c=13 h=11 w=15 k=70 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 relu=1",
                // 1x1 (the channel loop alone), three images
                "op=conv2d n=3 c=37 h=7 w=9 k=70 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 bias=1 relu=0",
                // 2 groups, stride 2, dilation 2: the next panel is the next group's
                "op=conv2d n=2 c=10 h=17 w=19 k=66 kh=3 kw=3 stride=2 pad=2 dil=2 groups=2 bias=0 relu=1");
        Set<String> paths = new HashSet<>();
        int k = 0;
        for (String line : shapes) {
            Convolution spec = Problems.parse(line);
            Args args = Tensors.args(spec, 6000 + k++, true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            for (GemmConfig cfg : List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.cm(8, 16, 6, 1), GemmConfig.pv(16, 6, 32, 1))) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg, l2)) {
                    assertTrue(p.geometry().panelPrefetch, spec + " with " + cfg + ": " + p.geometry().options);
                    float[] out = Primitives.output(DEVICE.backend(), p, spec, args);
                    assertExactly(ref, out, spec + " with " + cfg + " (" + p.algorithm() + ", prefetching panels)");
                    String options = p.geometry().options;
                    paths.add(cfg.kind() + (options.contains("POINTWISE=1") ? " 1x1"
                            : p.geometry().implicitPad ? " in place" : " copied"));
                }
            }
        }
        assertEquals(Set.of("CM in place", "CM copied", "CM 1x1", "PV copied", "PV 1x1"), paths);
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /**
     * Reading in place, a tile skips the kernel rows that fall wholly in the top or bottom padding
     * and adds their weights times zero, summed once per channel, to its pixels instead. A NaN
     * weight on a kernel row that is padding for the border output rows, and infinite weights on
     * the last kernel row, must still put NaN and infinities exactly where the reference (which
     * multiplies the padding's zeros) puts them; with the rows dropped instead, the border rows of
     * those channels would stay finite. Four shapes: one skipped row at the top and bottom; a
     * 5-row kernel at stride 2 and dilation 2, in two channel tiles, where a tile skips at most one
     * row; an image shorter than the kernel (2 rows under a 5-row kernel), where most kernel rows
     * are padding; and padding wider than the kernel (3 rows of it around a 3-row kernel), whose
     * border output rows read padding only.
     */
    @Test
    void rowsOutsideTheImageStillCarryNonFiniteWeights() {
        List<String> shapes = List.of(
                "op=conv2d n=1 c=5 h=9 w=14 k=40 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 relu=0",
                "op=conv2d n=2 c=3 h=10 w=13 k=40 kh=5 kw=3 stride=2 pad=2 dil=2 groups=1 bias=1 relu=0",
                "op=conv2d n=1 c=4 h=2 w=14 k=40 kh=5 kw=3 stride=1 pad=2,1 dil=1 groups=1 bias=1 relu=0",
                "op=conv2d n=1 c=3 h=6 w=12 k=40 kh=3 kw=3 stride=1 pad=3 dil=1 groups=1 bias=1 relu=0");
        int seed = 7100;
        for (String line : shapes) {
            Convolution spec = Problems.parse(line);
            Args args = Tensors.args(spec, seed++, false, 0);
            float[] w = Tensors.array(args, Arg.WEIGHTS);
            int taps = spec.kh() * spec.kw(), perChannel = spec.cPerGroup() * taps;
            w[3 * perChannel + 1] = Float.NaN; // channel 3, input channel 0, kernel row 0, column 1
            w[35 * perChannel + (spec.cPerGroup() - 1) * taps + (spec.kh() - 1) * spec.kw()] = Float.POSITIVE_INFINITY;
            w[20 * perChannel + spec.kw()] = Float.NEGATIVE_INFINITY; // channel 20, kernel row 1
            Args refArgs = Tensors.withFreshOutput(args, spec);
            ReferenceConv.run(spec, refArgs);
            float[] ref = Tensors.out(refArgs);
            assertTrue(Float.isNaN(ref[3 * spec.outH() * spec.outW()]), spec + ": the case is vacuous");
            GemmConfig cfg = GemmConfig.cm(16, 32, 14, 1);
            try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg)) {
                assertTrue(p.geometry().implicitPad && !p.geometry().linear, spec + ": " + p.geometry().options);
                float[] out = Primitives.output(DEVICE.backend(), p, spec, args);
                assertEquals(null, NonFinite.disagreement(ref, out),
                        spec + " with " + cfg + ": reference has " + NonFinite.census(ref)
                                + ", the plan " + NonFinite.census(out));
            }
        }
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /**
     * Channel tiles first ({@link GemmConfig.Order#CHANNELS}: the NDRange's first dimension is
     * the groups' channel tiles, the pixel tiles the second) with both register kernels on the
     * 1x1 shapes of {@link #SHAPES} (plain over two images, strided, padded), and with the
     * channel-vector kernel on two spatial ones (two images with a K no tile divides; three
     * images of three groups at stride 3 and dilation 2), each exactly as the reference: the
     * order moves which work-group computes which tile, never what a tile computes. (Every
     * shape would take 16 more kernel builds, about 100 s on POCL; the rotation of
     * {@link #everyConfigurationMatchesTheReferenceExactlyOnIntegers} gives the channel-order
     * defaults two shapes more.)
     */
    @Test
    void channelTilesFirstMatchTheReferenceExactly() {
        int k = 0;
        Set<GemmConfig.Kind> ran = EnumSet.noneOf(GemmConfig.Kind.class);
        for (int i = 0; i < SHAPES.size(); i++) {
            Convolution spec = Problems.parse(SHAPES.get(i));
            if (spec.kh() * spec.kw() > 1 && i != 0 && i != 2) {
                continue;
            }
            Args args = Tensors.args(spec, 3000 + k++, true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            List<GemmConfig> configs = spec.kh() == 1 && spec.kw() == 1
                    ? List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.pv(16, 4, 64, 1)) : List.of(GemmConfig.cm(16, 32, 14, 1));
            for (GemmConfig pixelOrder : configs) {
                GemmConfig cfg = pixelOrder.withOrder(GemmConfig.Order.CHANNELS);
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                try (GemmConvPlan p = new GemmConvPlan(DEVICE.context(), spec, cfg)) {
                    assertTrue(p.geometry().options.contains("-DCHANNEL_TILES_FIRST=1"), p.geometry().options);
                    assertTrue(p.algorithm().endsWith("-ch"), p.algorithm());
                    float[] out = Primitives.output(DEVICE.backend(), p, spec, args);
                    assertExactly(ref, out, spec + " with " + cfg + " (" + p.algorithm() + ")");
                    ran.add(cfg.kind());
                }
            }
        }
        assertEquals(EnumSet.of(GemmConfig.Kind.CM, GemmConfig.Kind.PV), ran);
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /**
     * Which shapes each configuration runs: local-memory tiles (one build for all geometries)
     * every shape; register tiles {@link #SHAPES_PER_REGISTER_TILE} (narrower-vector variants one),
     * chosen so that every shape also meets each register kernel that can run it.
     */
    private static Map<GemmConfig, List<Integer>> assignShapes(List<Convolution> specs) {
        OpenClDeviceInfo device = DEVICE.context().info();
        Set<GemmConfig> primary = primaryConfigs();
        Map<GemmConfig, List<Integer>> plan = new LinkedHashMap<>();
        for (GemmConfig cfg : allConfigs()) {
            plan.put(cfg, new ArrayList<>());
        }
        // first every shape gets each register kernel, from the least-used configuration of it
        for (int i = 0; i < specs.size(); i++) {
            int shape = i;
            Convolution spec = specs.get(i);
            for (GemmConfig.Kind kind : List.of(GemmConfig.Kind.CM, GemmConfig.Kind.PV)) {
                plan.entrySet().stream()
                        .filter(e -> e.getKey().kind() == kind)
                        .filter(e -> GemmConvPlan.unsuitableReason(spec, e.getKey(), device).isEmpty())
                        .min(Comparator.comparingInt(e -> e.getValue().size()))
                        .ifPresent(e -> e.getValue().add(shape));
            }
        }
        // then every configuration is topped up in rotation
        int j = 0;
        for (Map.Entry<GemmConfig, List<Integer>> e : plan.entrySet()) {
            GemmConfig cfg = e.getKey();
            int wanted = cfg.kind() == GemmConfig.Kind.LM ? specs.size()
                    : primary.contains(cfg) ? SHAPES_PER_REGISTER_TILE : 1;
            for (int step = 0; step < specs.size() && e.getValue().size() < wanted; step++) {
                int i = (j * 5 + step) % specs.size();
                if (!e.getValue().contains(i) && GemmConvPlan.unsuitableReason(specs.get(i), cfg, device).isEmpty()) {
                    e.getValue().add(i);
                }
            }
            assertTrue(e.getValue().size() >= wanted, cfg + " found only " + e.getValue().size() + " shapes it can run");
            j++;
        }
        for (int i = 0; i < specs.size(); i++) {
            int shape = i;
            Set<GemmConfig.Kind> kinds = EnumSet.noneOf(GemmConfig.Kind.class);
            plan.forEach((cfg, shapes) -> {
                if (shapes.contains(shape)) {
                    kinds.add(cfg.kind());
                }
            });
            Set<GemmConfig.Kind> expectedKinds = specs.get(i).strideW() <= GemmConvPlan.PV_MAX_STRIDE
                    ? EnumSet.allOf(GemmConfig.Kind.class) : EnumSet.of(GemmConfig.Kind.CM, GemmConfig.Kind.LM);
            assertEquals(expectedKinds, kinds, "kernels run on " + specs.get(i));
        }
        return plan;
    }

    @Test
    void selectedPlansMatchTheReferenceOnFloats() {
        // every other shape: the integer test above covers each one exactly
        for (int i = 0; i < SHAPES.size(); i += 2) {
            Convolution spec = Problems.parse(SHAPES.get(i));
            if (spec.isDepthwise()) {
                continue; // C/groups = 1 belongs to the depthwise kernels; the integer test covers it here
            }
            Args args = Tensors.args(spec, 2000 + i, false, 0);
            float[] ref = CrossCheck.reference(spec, args);
            try (Primitive plan = Primitives.compile(DEVICE.backend(), spec)) {
                assertTrue(plan.algorithm().startsWith("gemm-"), spec + ": selected " + plan.algorithm());
                Primitives.run(DEVICE.backend(), plan, args);
                double err = Tensors.relativeL2(ref, Tensors.out(args));
                assertTrue(err <= 1e-5, spec + " with " + plan.algorithm() + ": relative L2 " + err);
            }
        }
    }

    @Test
    @ExtendWith(PrivateCacheDir.class) // no tuning table: the defaults choose
    void oneByOneLayersEndingAResidualBlockMatchTheReferenceWithTheTileTheDefaultsGiveThem() {
        // 1x1 layers with a residual sum, run with the tile the defaults give them on this device:
        // with 16-float vectors the first gets the pixel-vector tile in pixel order (GemmDefaults.
        // sumPrefersPixelVectors: 44 channels, so the last tile of 8 is half empty, and an odd 15x17
        // map, so the tiles run across rows), the second its channel-order pixel tile (a map above
        // 1024 pixels), with narrower vectors the second the pixel-vector tile; the third (a
        // reduction longer than its outputs) keeps channel vectors. The result must be the reference's.
        List<String> shapes = List.of(
                "op=conv2d n=2 c=40 h=15 w=17 k=44 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 bias=1 post=sum+relu",
                "op=conv2d n=1 c=24 h=57 w=33 k=36 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 bias=0 post=sum:0.5",
                "op=conv2d n=1 c=96 h=15 w=17 k=40 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 bias=1 post=sum+relu");
        int width = DeviceProfile.of(DEVICE.context().info()).vectorWidth();
        for (int i = 0; i < shapes.size(); i++) {
            Convolution spec = Problems.parse(shapes.get(i));
            Args args = Tensors.args(spec, 3000 + i, false, 0);
            float[] ref = CrossCheck.reference(spec, args);
            try (Primitive plan = Primitives.compile(DEVICE.backend(), spec)) {
                Primitives.run(DEVICE.backend(), plan, args);
                double err = Tensors.relativeL2(ref, Tensors.out(args));
                assertTrue(err <= 1e-5, spec + " with " + plan.algorithm() + ": relative L2 " + err);
                if (DEVICE.context().info().isCpu()) {
                    GemmConfig expected = GemmDefaults.of(spec, true, width);
                    String kind = expected.kind() == GemmConfig.Kind.PV ? "gemm-pv-" : "gemm-cm-";
                    boolean channelOrder = expected.order() == GemmConfig.Order.CHANNELS;
                    assertTrue(plan.algorithm().startsWith(kind) && plan.algorithm().contains("-ch") == channelOrder,
                            spec + ": selected " + plan.algorithm() + ", the defaults give " + expected);
                }
            }
        }
    }

    @Test
    void aPlanGivesTheSameResultOnEveryCall() {
        Convolution spec = Problems.parse(SHAPES.get(0));
        Args first = Tensors.args(spec, 3, true, 0);
        Args second = Tensors.args(spec, 4, true, 0);
        float[] ref = CrossCheck.reference(spec, second);
        try (Primitive plan = Primitives.compile(DEVICE.backend(), spec)) {
            Primitives.run(DEVICE.backend(), plan, first);
            Primitives.run(DEVICE.backend(), plan, second);
        }
        // New weights on the second call must be packed again, not reused from the first.
        assertEquals(-1, Tensors.firstMismatch(ref, Tensors.out(second)), spec.toString());
    }

    /**
     * Weights bound to the primitive are packed once, at bind, and the primitive does not read
     * the bound buffer again (the plan releases it); a call that passes its own weights packs
     * those, for that call only, into a buffer of their own, so the next call without weights
     * packs nothing. Counted in kernel launches (the packer is one, the GEMM another) and checked
     * in results.
     */
    @Test
    void boundWeightsArePackedOnceAndPassedWeightsPerCall() {
        Convolution spec = Problems.parse(SHAPES.get(1));
        Args args = Tensors.args(spec, 6, true, 0);
        Args other = Tensors.args(spec, 7, true, 0);
        OpenClContext ctx = DEVICE.context();
        float[] refBound = CrossCheck.reference(spec, args);
        float[] refOther = CrossCheck.reference(spec, other);
        try (GemmConvPlan plan = new GemmConvPlan(ctx, spec, GemmDefaults.of(spec, true, 16));
             Memory weights = DEVICE.backend().allocate("bound weight", 4L * spec.weightSize())) {
            DEVICE.backend().write(weights, (HostTensor) args.get(Arg.WEIGHTS));
            long before = ctx.kernelLaunches();
            plan.bind(Arg.WEIGHTS, weights);
            assertEquals(before + 1, ctx.kernelLaunches(), "binding packs the weights once");
            // the GEMM, and pad_input where the tile reads a padded copy of the input
            int gemm = 1 + (plan.geometry().copiesInput(spec) ? 1 : 0);
            Args withoutWeights = args.with(Arg.WEIGHTS, null);
            for (int call = 0; call < 3; call++) {
                before = ctx.kernelLaunches();
                assertEquals(-1, Tensors.firstMismatch(refBound, Primitives.output(DEVICE.backend(), plan, spec, withoutWeights)),
                        "bound weights, call " + call + ": " + spec);
                assertEquals(before + gemm, ctx.kernelLaunches(), "a call on bound weights packs nothing: " + spec);
            }
            before = ctx.kernelLaunches();
            assertEquals(-1, Tensors.firstMismatch(refOther, Primitives.output(DEVICE.backend(), plan, spec, other)),
                    "weights passed with the call: " + spec);
            assertEquals(before + gemm + 1, ctx.kernelLaunches(), "weights passed with a call are packed for it");
            before = ctx.kernelLaunches();
            assertEquals(-1, Tensors.firstMismatch(refBound, Primitives.output(DEVICE.backend(), plan, spec, withoutWeights)),
                    "the bound weights after a call that passed its own: " + spec);
            assertEquals(before + gemm, ctx.kernelLaunches(), "the bound weights' packing survives a call's own");
            assertFalse(plan.readsBound(Arg.WEIGHTS), "the bound weights are packed: the upload can go");
        }
    }

    /**
     * A call's device time counts the copy into the padded input layout where the tile makes one,
     * and its kernel time does not: the tuner ranks tiles by the device time, and only some tiles
     * copy (pixel-vector tiles and tiles along the virtual grid do, channel-vector tiles that pad
     * as they read do not), so a copy left out made the copying tiles look faster than they run
     * (ResNeXt's grouped 3x3: the tuner's 144 GFLOP/s against bench's 34). In a compiled graph the
     * shared scratchpad may hold another plan's values: the copy ({@code pad_input}) writes every
     * element of the layout, so it is still one command, on the plan's own buffer or a shared one.
     */
    @Test
    void deviceTimeCountsTheCopyIntoThePaddedLayout() {
        Convolution spec = Problems.parse(SHAPES.get(1));
        Args args = Tensors.args(spec, 8, true, 0);
        OpenClContext ctx = DEVICE.context();
        float[] ref = CrossCheck.reference(spec, args);
        for (GemmConfig cfg : List.of(GemmConfig.pv(16, 8, 32, 1), GemmConfig.cm(16, 16, 28, 1))) {
            boolean copies = GemmConvPlan.Geometry.of(spec, cfg).copiesInput(spec);
            if (cfg.kind() == GemmConfig.Kind.PV) {
                assertTrue(copies, "the pixel-vector tile copies the padded input of " + spec);
            }
            for (boolean shared : new boolean[] {false, true}) {
                String what = cfg + (shared ? " on a shared scratchpad: " : ": ") + spec;
                int start = ctx.liveObjects();
                try (GemmConvPlan plan = new GemmConvPlan(ctx, spec, cfg);
                     Memory weights = DEVICE.backend().allocate("bound weight", 4L * spec.weightSize());
                     Memory scratch = DEVICE.backend().allocate("scratchpad", Math.max(4, plan.scratchpadBytes()))) {
                    DEVICE.backend().write(weights, (HostTensor) args.get(Arg.WEIGHTS));
                    plan.bind(Arg.WEIGHTS, weights);
                    if (shared) {
                        plan.useScratchpad(scratch);
                    }
                    Args withoutWeights = args.with(Arg.WEIGHTS, null);
                    assertEquals(-1, Tensors.firstMismatch(ref, Primitives.output(DEVICE.backend(), plan, spec, withoutWeights)),
                            what);
                    if (shared) {
                        // what another plan could leave behind: NaN everywhere, padding included
                        float[] junk = new float[(int) (scratch.bytes() / 4)];
                        java.util.Arrays.fill(junk, Float.NaN);
                        DEVICE.backend().write(scratch, (HostTensor) dev.convcl.Tensor.of(junk, junk.length));
                    }
                    int expected = copies ? 1 : 0; // one pad_input, shared scratchpad or not
                    assertEquals(expected, plan.lastCopyCommands(), cfg + " (copies the input: " + copies + ", shared "
                            + "scratchpad: " + shared + "): the copy commands its device time adds, " + spec);
                    // Every event the call holds is a live object: the kernels' and the copy's
                    // alike. A second call releases the first call's events unread, so the
                    // count stays where it was.
                    int held = ctx.liveObjects();
                    assertEquals(-1, Tensors.firstMismatch(ref, Primitives.output(DEVICE.backend(), plan, spec, withoutWeights)),
                            "second call, " + what);
                    assertEquals(held, ctx.liveObjects(), "live objects after a second call (the first call's events "
                            + "are released): " + what);
                    double kernel = plan.lastKernelMillis();
                    int withoutKernelEvents = ctx.liveObjects();
                    assertTrue(withoutKernelEvents < held, "reading the kernel time releases the launch events: "
                            + held + " live objects, then " + withoutKernelEvents + ", " + what);
                    double device = plan.lastDeviceMillis();
                    assertEquals(withoutKernelEvents - expected, ctx.liveObjects(), "reading the device time releases the "
                            + expected + " copy events, each counted while held: " + what);
                    assertTrue(kernel >= 0 && device >= kernel, cfg + ": kernel " + kernel + " ms, device " + device
                            + " ms, " + spec);
                    // a call whose events nobody reads: closing the plan releases them
                    Primitives.output(DEVICE.backend(), plan, spec, withoutWeights);
                    assertEquals(held, ctx.liveObjects(), "live objects while a call's events are held: " + what);
                }
                assertEquals(start, ctx.liveObjects(), "live objects after the plan closed: " + what);
            }
        }
    }

    /**
     * {@code pad_input} writes every element of the padded layout, the zeros of the border and of
     * the slack as well as the image, and nothing past it, so a compiled graph's shared scratchpad
     * needs no fill before it: on every shape of {@link #SHAPES} whose pixel-vector tile copies
     * its input (padding on one side, both, or only along one axis; no padding but slack after the
     * last plane), in both forms of the kernel (rows a work-item, the CPU form; an element a
     * work-item, the GPU form), a scratchpad holding NaN everywhere, 64 floats longer than the
     * layout, holds exactly the layout built on the host after the call (and NaN past it), and the
     * output is exactly the reference's, twice.
     */
    @Test
    void thePaddedCopyWritesEveryElementOfASharedScratchpad() {
        OpenClContext ctx = DEVICE.context();
        int ran = 0;
        Set<String> layouts = new HashSet<>();
        for (int i = 0; i < SHAPES.size(); i++) {
            Convolution spec = Problems.parse(SHAPES.get(i));
            GemmConfig cfg = GemmConfig.pv(16, 8, 32, 1);
            if (GemmConvPlan.unsuitableReason(spec, cfg, ctx.info()).isPresent()
                    || !GemmConvPlan.Geometry.of(spec, cfg).copiesInput(spec)) {
                continue;
            }
            Args args = Tensors.args(spec, 7000 + i, true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            float[] src = ((HostTensor) args.get(Arg.SRC)).array();
            // a source of exactly the tensor's size: one the backend allocated would hold the slack,
            // and the tile would read it in place (aSourceBufferHoldingTheSlackIsReadInPlace)
            long inputBytes = 4L * spec.inputSize();
            for (boolean rows : new boolean[] {true, false}) {
                String what = spec + " with " + cfg + (rows ? ", pad_input by rows" : ", pad_input by elements");
                try (GemmConvPlan plan = new GemmConvPlan(ctx, spec, cfg, 0, rows);
                     Memory scratch = DEVICE.backend().allocate("scratchpad", plan.scratchpadBytes() + 4 * 64);
                     DeviceBuffer source = ctx.allocate("exact source", inputBytes, org.jocl.CL.CL_MEM_READ_WRITE)) {
                    DEVICE.backend().write(source, (HostTensor) args.get(Arg.SRC));
                    plan.useScratchpad(scratch);
                    GemmConvPlan.Geometry g = plan.geometry();
                    float[] expected = new float[(int) (scratch.bytes() / 4)];
                    java.util.Arrays.fill(expected, Float.NaN);
                    java.util.Arrays.fill(expected, 0, (int) g.inputFloats, 0f);
                    int planes = spec.n() * spec.c();
                    for (int pl = 0; pl < planes; pl++) {
                        for (int y = 0; y < spec.h(); y++) {
                            System.arraycopy(src, (pl * spec.h() + y) * spec.w(), expected,
                                    (pl * g.ihp + y + spec.padTop()) * g.iwp + spec.padLeft(), spec.w());
                        }
                    }
                    float[] nan = new float[expected.length];
                    java.util.Arrays.fill(nan, Float.NaN);
                    for (int call = 0; call < 2; call++) {
                        DEVICE.backend().write(scratch, (HostTensor) dev.convcl.Tensor.of(nan, nan.length));
                        float[] out = runWithSource(plan, args, spec, source);
                        assertExactly(ref, out, what + " on a scratchpad of NaN, call " + call);
                        assertEquals(1, plan.lastCopyCommands(), "one pad_input a call: " + what);
                        float[] layout = new float[expected.length];
                        DEVICE.backend().read(scratch, (HostTensor) dev.convcl.Tensor.of(layout, layout.length));
                        DEVICE.backend().finish();
                        for (int e = 0; e < layout.length; e++) {
                            if (Float.floatToRawIntBits(layout[e]) != Float.floatToRawIntBits(expected[e])) {
                                fail(what + ", call " + call + ": element " + e + " of the scratchpad (layout of "
                                        + g.inputFloats + " floats, planes " + g.ihp + "x" + g.iwp + ") is " + layout[e]
                                        + ", expected " + expected[e]);
                            }
                        }
                    }
                    layouts.add(g.padded ? "padded" : "slack only");
                    ran++;
                }
            }
        }
        assertTrue(ran >= 20, "shapes and forms whose pixel-vector tile copies its input: " + ran);
        assertEquals(Set.of("padded", "slack only"), layouts, "both layouts: padded planes, and the input with slack after it");
        assertEquals(0, ctx.liveObjects(), "kernels and buffers left open");
    }

    @Test
    void depthwiseAndDeformableStayWithTheirKernels() {
        Convolution dw = Problems.parse("op=conv2d n=1 c=8 h=9 w=9 k=8 kh=3 kw=3 stride=1 pad=1 dil=1 groups=8");
        Convolution deform = Problems.parse("op=deform2d n=1 c=4 h=6 w=6 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 og=1 mask=0");
        try (Primitive a = Primitives.compile(DEVICE.backend(), dw); Primitive b = Primitives.compile(DEVICE.backend(), deform)) {
            assertTrue(!a.algorithm().startsWith("gemm"), dw + " went to " + a.algorithm());
            assertTrue(!b.algorithm().startsWith("gemm"), deform + " went to " + b.algorithm());
        }
    }

    @Test
    void pixelVectorsRefuseStridesAbove2BeforeAnyLaunch() {
        Convolution spec = Problems.parse("op=conv2d n=1 c=4 h=9 w=9 k=8 kh=3 kw=3 stride=3 pad=1 dil=1 groups=1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GemmConvPlan(DEVICE.context(), spec, GemmConfig.pv(16, 8, 32, 1)));
        assertTrue(e.getMessage().contains("needs stride_w 1 or 2, got 3"), e.getMessage());
    }
    /**
     * A source buffer that also holds the slack the last tile reads past the tensor (as a compiled
     * graph sizes its buffers: {@link GemmConvPlan#sourceReadBytes()}, and as every buffer the
     * backend allocates has {@link OpenClBackend#READ_SLACK_BYTES} after the tensor) is read in
     * place, with no copy and no fill, whatever the slack holds (NaN and infinities here: they
     * reach only lanes whose outputs are discarded); a buffer of exactly the tensor's size is
     * still copied.
     */
    @Test
    void aSourceBufferHoldingTheSlackIsReadInPlace() {
        Convolution spec = Problems.parse(SHAPES.get(8)); // 1x1, no padding, 99-pixel planes
        assertTrue(spec.kh() == 1 && spec.padTop() == 0 && spec.padLeft() == 0, spec.toString());
        Args args = Tensors.args(spec, 17, true, 0);
        float[] ref = CrossCheck.reference(spec, args);
        float[] src = ((HostTensor) args.get(Arg.SRC)).array();
        long inputBytes = 4L * src.length;
        OpenClContext ctx = DEVICE.context();
        for (GemmConfig cfg : List.of(GemmConfig.pv(16, 8, 32, 1), GemmConfig.pv(8, 8, 64, 1))) {
            try (GemmConvPlan plan = new GemmConvPlan(ctx, spec, cfg)) {
                long readBytes = plan.sourceReadBytes();
                assertTrue(readBytes > inputBytes && readBytes - inputBytes <= OpenClBackend.READ_SLACK_BYTES, cfg
                        + " on " + spec + " reads " + readBytes + " bytes of its source, the tensor has " + inputBytes
                        + ": this test needs a tile that reads past it by at most the backend's slack");
                // a buffer of exactly the tensor's size (not the backend's: it would have the slack)
                try (DeviceBuffer exact = ctx.allocate("exact source", inputBytes, org.jocl.CL.CL_MEM_READ_WRITE)) {
                    DEVICE.backend().write(exact, (HostTensor) args.get(Arg.SRC));
                    assertEquals(-1, Tensors.firstMismatch(ref, runWithSource(plan, args, spec, exact)),
                            cfg + ", a source of the tensor's size: " + spec);
                    assertEquals(1, plan.lastCopyCommands(), cfg + ": a source of the tensor's size is copied: " + spec);
                }
                for (long extra : new long[] {0, 64}) {
                    float[] withSlack = new float[(int) ((readBytes + extra) / 4)];
                    System.arraycopy(src, 0, withSlack, 0, src.length);
                    for (int i = src.length; i < withSlack.length; i++) {
                        withSlack[i] = i % 3 == 0 ? Float.NaN : i % 3 == 1 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                    }
                    try (DeviceBuffer b = ctx.allocate("source and slack", 4L * withSlack.length,
                            org.jocl.CL.CL_MEM_READ_WRITE)) {
                        DEVICE.backend().write(b, (HostTensor) dev.convcl.Tensor.of(withSlack, withSlack.length));
                        assertEquals(-1, Tensors.firstMismatch(ref, runWithSource(plan, args, spec, b)), cfg
                                + ", a source holding " + (readBytes + extra) + " bytes (NaN and infinities after the tensor): "
                                + spec);
                        assertEquals(0, plan.lastCopyCommands(), cfg + ": a source holding the slack is read in place: "
                                + spec);
                    }
                }
                // what every tensor of the backend gets
                try (Memory m = DEVICE.backend().allocate("tensor", inputBytes)) {
                    DEVICE.backend().write(m, (HostTensor) args.get(Arg.SRC));
                    assertEquals(-1, Tensors.firstMismatch(ref, runWithSource(plan, args, spec, m)),
                            cfg + ", a source the backend allocated: " + spec);
                    assertEquals(0, plan.lastCopyCommands(), cfg + ": the backend's buffers hold the slack: " + spec);
                }
            }
        }
        assertEquals(0, ctx.liveObjects(), "kernels and buffers left open");
    }

    /** Runs {@code plan} with SRC {@code source} and the other arguments of {@code args} on buffers of their own. */
    /** Fails naming {@code what} and the first output that differs from the reference's, bit for bit. */
    private static void assertExactly(float[] ref, float[] out, String what) {
        int bad = Tensors.firstMismatch(ref, out);
        if (bad >= 0) {
            fail(what + ": output " + bad + " is " + out[bad] + ", reference " + ref[bad]);
        }
    }

    private static float[] runWithSource(GemmConvPlan plan, Args args, Convolution spec, Memory source) {
        Map<Arg, Memory> mem = new java.util.EnumMap<>(Arg.class);
        List<Memory> staged = new ArrayList<>();
        float[] out = new float[(int) spec.outputSize()];
        java.util.Arrays.fill(out, Float.NaN);
        HostTensor dst = (HostTensor) dev.convcl.Tensor.of(out, spec.outputShape());
        try {
            for (Map.Entry<Arg, dev.convcl.Tensor> e : args.asMap().entrySet()) {
                if (e.getKey() == Arg.SRC) {
                    mem.put(Arg.SRC, source);
                    continue;
                }
                HostTensor h = e.getKey() == Arg.DST ? dst : (HostTensor) e.getValue();
                Memory m = DEVICE.backend().allocate(e.getKey().displayName(), 4L * h.size());
                staged.add(m);
                DEVICE.backend().write(m, h);
                mem.put(e.getKey(), m);
            }
            plan.execute(mem);
            DEVICE.backend().read(mem.get(Arg.DST), dst);
            DEVICE.backend().finish();
        } finally {
            staged.forEach(Memory::close);
        }
        return out;
    }
}
