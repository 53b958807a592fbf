package dev.convcl.opencl;

import dev.convcl.Convolution;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * The GEMM tiles used without a tuning file, and the candidates the {@link Tuner} times.
 *
 * <p>Two device styles. CPU-like devices (POCL, Intel's CPU runtime) run one work-item per
 * work-group as a plain loop and vectorise what the kernel writes in vectors: they get the
 * register-tile kernels with vectors of the device's native float width and about 24-28
 * accumulator vectors (AVX-512 has 32 registers). GPUs want many work-items per group and tiles
 * staged in local memory: they get the {@code lm} kernel.
 */
final class GemmDefaults {
    private GemmDefaults() {
    }

    /** The float vector width the kernels use on {@code device}: {@link DeviceProfile#vectorWidth()}. */
    static int nativeWidth(OpenClDeviceInfo device) {
        return DeviceProfile.of(device).vectorWidth();
    }

    /** Whether the device runs kernels the way a CPU does (the register-tile kernels suit it). */
    static boolean cpuLike(OpenClDeviceInfo device) {
        return device.isCpu();
    }

    /** The default tile for {@code spec} on a device of the given style, with the accumulators of {@code width}. */
    static GemmConfig of(Convolution spec, boolean cpuLike, int width) {
        return of(spec, cpuLike, width, accumulatorVectors(width));
    }

    /** As {@link #of(Convolution, boolean, int, int, int)} with the compute units unknown (a GPU keeps the 64x64 tile). */
    static GemmConfig of(Convolution spec, boolean cpuLike, int width, int acc) {
        return of(spec, cpuLike, width, acc, 0);
    }

    /** A GPU's local-memory tile: 16x16 work-items, 64x64 outputs (4x4 a work-item), K panels of 16. */
    static final GemmConfig GPU_TILE = GemmConfig.lm(16, 16, 64, 64, 16);

    /**
     * A GPU's tile where {@link #GPU_TILE} makes too few work-groups ({@link #starves}): 16x16
     * work-items, 32x32 outputs (2x2 a work-item), four times the work-groups.
     */
    static final GemmConfig GPU_SMALL_TILE = GemmConfig.lm(16, 16, 32, 32, 16);

    /**
     * The preferred tile for {@code spec} on a device of the given style, vectors of {@code width}
     * floats, {@code acc} vector accumulators ({@link DeviceProfile#accumulators()}) and
     * {@code computeUnits} compute units (0: unknown). On a GPU: {@link #GPU_TILE}, or for a
     * layer without groups {@link #GPU_SMALL_TILE} where the first would leave a quarter or more
     * of the compute units without a work-group ({@link #starves}). Measured on an NVIDIA H200 (132 compute units,
     * docs/performance-notes.md, "NVIDIA GPU again"): on the three problems of batch 1 whose 64x64
     * tiles make 49-52 work-groups, the 32x32 tile (196-200) ran 1.06-1.37x faster in kernel time
     * (ResNet-50's 1x1 0.035 against 0.048 ms, DRN's dilation-2 3x3 0.224 against direct's 0.283,
     * ResNet-50's 3x3 0.062 against direct's 0.066), and `convcl tune` chose it for their classes.
     * Where the 64x64 tile makes enough work-groups (every layer at batch 32: 20-30% of the FMA
     * peak) it stays.
     */
    static GemmConfig of(Convolution spec, boolean cpuLike, int width, int acc, int computeUnits) {
        ProblemClass cls = ProblemClass.of(spec);
        if (!cpuLike) {
            if (cls == ProblemClass.GROUPED_NARROW) {
                return GemmConfig.lm(8, 16, 16, 64, 16);
            }
            // Grouped layers keep the 64x64 tile: the GPU rule measures their empty rows against it
            // (and sends them to direct), whatever the batch.
            return spec.groups() == 1 && starves(spec, GPU_TILE, computeUnits) ? GPU_SMALL_TILE : GPU_TILE;
        }
        if (channelTilesFirst(spec)) {
            // with the input columns kept in cache, AVX-512's 4-channel x 4-vector pixel tile ran
            // 1.2-2x faster than the channel-vector tile on maps of 56x56 (3.2 MB inputs), and
            // 1.3-1.8x slower on 28x28 and 14x14 ones (docs/performance-notes.md, "1x1: channel
            // tiles first"); with AVX2 and on smaller maps the usual tile stays
            boolean largeMap = (long) spec.h() * spec.w() > LARGE_MAP_PIXELS;
            GemmConfig tile = width >= 16 && largeMap && spec.strideW() == 1 && GemmConvPlan.pixelVectorsRun(spec)
                    ? GemmConfig.pv(width, acc / 8 + 1, 4 * width, 1) : registerTile(spec, cls, width, acc);
            return yieldsToSumTile(tile, spec, width) ? sumTile(width, acc) : tile.withOrder(GemmConfig.Order.CHANNELS);
        }
        GemmConfig tile = registerTile(spec, cls, width, acc);
        if (yieldsToSumTile(tile, spec, width)) {
            return sumTile(width, acc);
        }
        return splitsFewChannels(spec, tile) ? tile.withOrder(GemmConfig.Order.CHANNELS) : tile;
    }

    /**
     * Whether a 1x1 layer of 16 output channels or fewer (below {@link #channelTilesFirst}'s bound),
     * whose weights are at most half its input (2K <= H*W, as there), takes its register tile in
     * channel order because that tile is a pixel-vector one of 16-float vectors with fewer channel
     * rows than the layer has outputs: in pixel order each of its channel tiles streams the whole
     * input again (AVX-512's 4-channel tile makes four of MobileNetV2's 32-to-16 on 112x112, 1.6 MB
     * of input an image). In channel order, device tensors on POCL (Zen 5, medians of 40 calls):
     * that layer 0.130 against 0.201 ms at batch 1, 0.565 against 1.333 at batch 8; 64-to-16 on
     * 56x56 0.112 against 0.149 at batch 1, at batch 8 0.41-0.45 against 0.38-0.52 (three of four
     * runs faster); 16-to-16 on 56x56 0.105 against 0.111 and 0.198 against 0.246
     * (docs/performance-notes.md, "Depthwise row tiles in plane order"). Narrower vectors (AVX2's
     * 2-channel tile) were not measured and keep pixel order. A layer with a sum step whose default
     * this is (K <= 16: the sum tile's rule, {@link #sumPrefersPixelVectors}, concerns channel-vector
     * defaults) takes it in channel order too; the sum was not measured there.
     */
    static boolean splitsFewChannels(Convolution spec, GemmConfig tile) {
        return weightsAtMostHalfTheInput(spec) && spec.k() <= 16
                && tile.kind() == GemmConfig.Kind.PV && tile.vw() >= 16 && tile.tm() < spec.k();
    }

    /** Whether {@code tile}, a channel-vector tile, gives way to {@link #sumTile} for {@code spec} ({@link #sumPrefersPixelVectors}). */
    private static boolean yieldsToSumTile(GemmConfig tile, Convolution spec, int width) {
        return tile.kind() == GemmConfig.Kind.CM && sumPrefersPixelVectors(spec, width);
    }

    /** The pixel-vector tile of a 1x1 layer with a residual sum, in pixel order: AVX-512's 8 channels x 2 vectors, AVX2's 4 x 2. */
    private static GemmConfig sumTile(int width, int acc) {
        return GemmConfig.pv(width, acc / 4 + 1, 2 * width, 1);
    }

    /**
     * Whether a stride-1 1x1 problem with a residual sum in its epilogue (a {@link dev.convcl.Sum}
     * step; class {@code pointwise-sum}; a strided one, {@code pointwise-strided-sum}, keeps the
     * rules above until tuned: its two measured layers went opposite ways) takes the pixel-vector tile ({@link #sumTile}) on a CPU where the rules above chose a
     * channel-vector one: when its reduction is no longer than its output channels (C <= K: the
     * 1x1 that ends a ResNet bottleneck or a RegNet block, not MobileNetV2's narrowing projection),
     * with 16-float vectors on maps of at least {@link #SUM_MIN_PIXELS} pixels, with 8-float ones
     * on maps above {@link #LARGE_MAP_PIXELS} (narrower vectors were not measured: no change). The
     * channel-vector kernel reads the sum one float a lane (its vectors run across output planes);
     * beside a short reduction that read weighed 1.3-2.1x the kernel time without the sum, and the
     * pixel-vector kernel, which reads the sum as vectors along a row, ran those layers 1.1-2.5x
     * faster alone (one exception: ResNet-50's 256-to-1024 on 14x14 at batch 1, 1.28x slower
     * alone; in ResNeXt-50 at batch 1 the five 14x14 layers ran 0.71-0.72 ms each before, 0.61-0.63
     * after). Where the reduction is long (MobileNetV2's 192-to-32, 384-to-64 and 576-to-96, whose
     * sum cost 1.13-1.34x) the pixel-vector tile, with more channel tiles over the input, ran
     * 10-20% slower in the network. On 7x7 maps it was no better. With AVX2 it won 1.5-3.2x on
     * 56x56 maps only. Measured on POCL, layers alone and in ResNet-50 (dilated), ResNeXt-50,
     * RegNetY-400MF and MobileNetV2 (docs/performance-notes.md, "The residual sum in 1x1 layers").
     */
    static boolean sumPrefersPixelVectors(Convolution spec, int width) {
        long pixels = (long) spec.h() * spec.w();
        return ProblemClass.hasSumVariant(spec) && ProblemClass.of(spec) == ProblemClass.POINTWISE && spec.c() <= spec.k()
                && (width >= 16 ? pixels >= SUM_MIN_PIXELS : width == 8 && pixels > LARGE_MAP_PIXELS);
    }

    /** Pixels of a map (14x14) from which a 1x1 layer with a sum takes the pixel-vector tile with 16-float vectors. */
    static final int SUM_MIN_PIXELS = 196;

    /**
     * Whether the default tile of {@code spec} on a CPU walks its channel tiles first
     * ({@link GemmConfig.Order#CHANNELS}; unless {@link #sumPrefersPixelVectors} gives the problem
     * {@link #sumTile}, in pixel order, instead of a channel-vector tile): a 1x1 convolution without groups whose weights
     * (K x C) are at most half its input (C x H x W: output channels at most half the input
     * pixels) and that has more than one channel tile of 16 (with 16 or fewer, see
     * {@link #splitsFewChannels}, which puts some of those in channel order too). In pixel order each channel tile
     * streams the whole input again (3.2 MB for ResNet-50's 256-to-64 1x1 on 56x56, beyond a
     * core's L2); in channel order the input is read once and the small weights stay in cache.
     * Measured with POCL on AVX-512 and on its AVX2 target: 1.3-2x faster on the three 1x1
     * layers of the bundled suite (docs/performance-notes.md, "1x1: channel tiles first").
     * ResNet-50's 128-to-512 1x1 on 28x28 (weights 0.65 of the input, both within L2) ran its
     * default tile 1.3x slower in channel order, hence the half. For 3x3 layers the order
     * measured 1.2-2x slower (their weights are the larger operand, or both fit in L2), and for
     * grouped ones 2x slower (consecutive work-groups would read different groups).
     */
    static boolean channelTilesFirst(Convolution spec) {
        return weightsAtMostHalfTheInput(spec) && spec.k() > 16;
    }

    /**
     * A 1x1 convolution without groups whose weights (K x C) are at most half its input (C x H x W:
     * 2K <= H*W), the condition of both channel-order rules ({@link #channelTilesFirst},
     * {@link #splitsFewChannels}).
     */
    private static boolean weightsAtMostHalfTheInput(Convolution spec) {
        return isPlainPointwise(spec) && 2L * spec.k() <= (long) spec.h() * spec.w();
    }

    /** Input pixels above which a 1x1 layer in channel order takes the pixel-vector tile with AVX-512 (56x56 does, 28x28 not). */
    static final int LARGE_MAP_PIXELS = 1024;

    /** The register tile of {@code spec} in pixel order. */
    private static GemmConfig registerTile(Convolution spec, ProblemClass cls, int width, int acc) {
        // Measured on POCL (AVX-512): vectors of adjacent pixels suit few output channels per
        // group, 1x1 problems whose pixel vectors win (prefersPixelVectors) and short reductions
        // at stride 1 or 2 (shortReduction); vectors of channels suit everything else, and any stride.
        if (spec.strideW() == 1 && (cls == ProblemClass.GROUPED_NARROW
                || cls == ProblemClass.POINTWISE && prefersPixelVectors(spec, width))) {
            return GemmConfig.pv(width, acc / 8 + 1, 4 * width, 1);
        }
        if (spec.groups() == 1 && spec.kh() * spec.kw() > 1 && GemmConvPlan.pixelVectorsRun(spec)
                && shortReduction(spec, width)) {
            // a network's stem (3 input channels: R = 27 for 3x3), at stride 1 or 2
            return GemmConfig.pv(width, width, width, 1);
        }
        if (cls == ProblemClass.GROUPED_NARROW) {
            // strided: channel vectors no wider than a group
            int vw = Integer.highestOneBit(Math.min(spec.kPerGroup(), width));
            return GemmConfig.cm(vw, vw, acc, 1);
        }
        return GemmConfig.cm(width, 2 * width, acc / 2, 1);
    }

    /** Work-groups a local-memory ({@code lm}) tile makes for {@code spec}: pixel tiles x channel tiles x groups x images. */
    static long workGroups(Convolution spec, GemmConfig lm) {
        long pixels = (long) spec.outH() * spec.outW();
        long pixelTiles = (pixels + lm.tn() - 1) / lm.tn();
        long channelTiles = (spec.kPerGroup() + lm.tm() - 1) / lm.tm();
        return pixelTiles * channelTiles * spec.groups() * spec.n();
    }

    /**
     * Whether {@code lm}'s work-groups for {@code spec} are fewer than three quarters of
     * {@code computeUnits} (0: unknown, never): then a quarter or more of a GPU's compute units
     * would have none, and each of the others only one, with nothing to hide its memory latency.
     */
    static boolean starves(Convolution spec, GemmConfig lm, int computeUnits) {
        return 4 * workGroups(spec, lm) < 3L * computeUnits;
    }

    /**
     * Why, on a GPU with {@code computeUnits} compute units, the direct kernel should run
     * {@code spec} instead of the untuned local-memory tile {@code tile}; empty when the tile
     * should. Measured on an NVIDIA H200 (132 compute units, driver 580.159.04; docs/PERFORMANCE.md,
     * "GPU", and docs/performance-notes.md, "NVIDIA H200" and "NVIDIA GPU again"; {@code GemmGpuChoiceTest}
     * holds the measured lines and their faster kernel):
     * <ul>
     *   <li>grouped, with half the tile's output-channel rows or more empty (channels a group at
     *       most half its rows): ResNeXt's 3x3 (4 to 16 channels a group in tiles of 16 or 64 rows) ran
     *       1.2-2.5x faster on the direct kernel at batch 1 and at batch 32;</li>
     *   <li>a tile that starves the compute units ({@link #starves}) even at 32x32 outputs (the
     *       default tile is then {@link #GPU_SMALL_TILE}), whatever the kernel size: ResNet-50's 3x3
     *       on 14x14 (56 work-groups of 32x32), Inception's 1x7 and 7x1 (40 and 60) and MobileNetV2's
     *       1x1 to 24 channels (98) ran 1.2-2.7x faster on the direct kernel than on the 64x64 tile;
     *       and the 64x64 tile took 0.115-0.155 ms on each of MobileNetV2's 960-channel 1x1 on
     *       7x7 (3 and 5 work-groups), its classifier (16) and Inception's 768-channel 1x1 on
     *       17x17 (10-15), where MobileNetV2 ran whole in 1.49 ms on the direct kernel. A tile that fills the GPU
     *       wins at any kernel size: at batch 8 the direct kernel ran ResNet-18's 512-channel 3x3 on
     *       7x7 in 1.30 ms (1.4 TFLOP/s; 256 work-groups of 32x32) and Inception's 8x8 layers at
     *       1.5-1.6 TFLOP/s, where the tiles reach 6 TFLOP/s and more.</li>
     * </ul>
     * A tuned entry overrides this (the tuner times the tiles and, as the defaults, this rule).
     */
    static Optional<String> gpuPrefersDirect(Convolution spec, GemmConfig tile, int computeUnits) {
        if (tile.kind() != GemmConfig.Kind.LM) {
            return Optional.empty();
        }
        boolean mostlyEmpty = 2 * spec.kPerGroup() <= tile.tm();
        if (spec.groups() > 1 && mostlyEmpty) {
            return Optional.of("on a GPU the default tile " + tile + " would leave half or more of its "
                    + tile.tm() + " output-channel rows empty (" + spec.kPerGroup() + " channels a group): the direct kernel runs it"
                    + " faster (convcl tune times the tiles for this class)");
        }
        if (starves(spec, tile, computeUnits)) {
            return Optional.of("on a GPU the default tile " + tile + " makes " + workGroups(spec, tile) + " work-groups for "
                    + computeUnits + " compute units: the direct kernel keeps more of them busy at this size"
                    + " (convcl tune times the tiles for this class)");
        }
        return Optional.empty();
    }

    /**
     * Why selection runs the direct kernel instead of gemm's default tile for {@code spec} on
     * {@code device} when no tuning entry says otherwise ({@link #gpuPrefersDirect} on a GPU;
     * never on a CPU-like device): what the tuner times as the device's defaults.
     */
    static Optional<String> untunedPrefersDirect(Convolution spec, OpenClDeviceInfo device) {
        if (cpuLike(device)) {
            return Optional.empty();
        }
        Optional<String> tile = KernelFamily.GEMM.defaultConfig(spec, device);
        return tile.isEmpty() ? Optional.empty()
                : gpuPrefersDirect(spec, GemmConfig.parse(tile.get()), device.computeUnits());
    }

    /**
     * Whether a 1x1 problem (stride 1, groups 1) runs faster on a CPU with the pixel-vector tile
     * than with the channel-vector one, vectors of {@code width} floats: when its reduction is
     * short, at most two vectors of input channels per group, or its output channels per group
     * are fewer than the channel-vector tile's two vectors. The channel-vector kernel stores its
     * outputs one float at a time (its vectors run across output planes) and spends R/width
     * vector fmas on each: with R at most 2*width, the stores weigh as much as the arithmetic;
     * with fewer than 2*width output channels, part of its tile is empty. Otherwise its tile of
     * more accumulators (28 against 16 with AVX-512, 12 against 8 with AVX2) and its tiles
     * within output rows (no pixels wasted on 14x14 and 7x7 outputs) win. Measured on POCL with
     * AVX-512 and with AVX2 (docs/performance-notes.md, "Pointwise tiles on the CPU device").
     */
    static boolean prefersPixelVectors(Convolution spec, int width) {
        return shortReduction(spec, width) || spec.kPerGroup() < 2 * width;
    }

    /**
     * Whether the reduction R = C/groups * KH * KW is at most two vectors of {@code width}: then
     * the channel-vector kernel, which stores its outputs one float at a time, spends about as
     * much on a tile's stores as on its R/width fmas an output, and the pixel-vector kernel's
     * vector stores win. A spatial kernel with so short a reduction is a network's stem (3x3 over
     * 3 channels: R = 27); there, at stride 2, a tile of one pixel vector and {@code width}
     * channels ran 1.3-1.5x faster than the channel-vector tile with AVX-512 (R = 27 <= 32), and
     * no faster with AVX2 (R = 27 > 16: left to the channel-vector tile); ResNet's 7x7 stem
     * (R = 147) stays with the channel-vector tile (docs/performance-notes.md, "Network stems").
     */
    static boolean shortReduction(Convolution spec, int width) {
        return spec.cPerGroup() * spec.kh() * spec.kw() <= 2 * width;
    }

    /** Whether {@code spec} is a 1x1 convolution without groups (ProblemClass POINTWISE or POINTWISE_STRIDED). */
    static boolean isPlainPointwise(Convolution spec) {
        return spec.groups() == 1 && spec.kh() == 1 && spec.kw() == 1 && !spec.isDeformable();
    }

    /** Vector accumulators of a CPU with vectors of {@code width} floats (AVX-512: 28, else 12), as {@link DeviceProfile}. */
    private static int accumulatorVectors(int width) {
        return (width >= 16 ? 32 : 16) - 4;
    }

    /**
     * The configurations the tuner times for {@code spec}: for CPU-like devices register tiles of
     * several shapes (many pixels x few channel vectors to few pixels x many), for GPUs local
     * memory tiles and work-group shapes; each list also holds one of the other style, so a
     * device that behaves unlike its type still finds its kernel.
     */
    static List<GemmConfig> candidates(Convolution spec, boolean cpuLike, int width) {
        return candidates(spec, cpuLike, width, accumulatorVectors(width));
    }

    /** As above, with {@code acc} vector accumulators. */
    static List<GemmConfig> candidates(Convolution spec, boolean cpuLike, int width, int acc) {
        LinkedHashSet<GemmConfig> c = new LinkedHashSet<>();
        for (GemmConfig g : cpuLike ? cpuCandidates(width, acc) : gpuCandidates()) {
            if (g.kind() != GemmConfig.Kind.PV || GemmConvPlan.pixelVectorsRun(spec)) {
                c.add(g);
            }
        }
        if (cpuLike && isPlainPointwise(spec)) {
            // every register tile in channel order too
            for (GemmConfig g : List.copyOf(c)) {
                if (g.kind() != GemmConfig.Kind.LM) {
                    c.add(g.withOrder(GemmConfig.Order.CHANNELS));
                }
            }
        }
        c.add(of(spec, cpuLike, width, acc));
        return new ArrayList<>(c);
    }

    /** The candidates for {@code spec} on a device of {@code profile}, those it cannot run left out. */
    static List<GemmConfig> candidates(Convolution spec, DeviceProfile profile) {
        List<GemmConfig> l = new ArrayList<>();
        l.add(profile.gemm(spec));
        for (GemmConfig g : candidates(spec, profile.cpuLike(), profile.vectorWidth(), profile.accumulators())) {
            if (profile.gemmFits(spec, g) && !l.contains(g)) {
                l.add(g);
            }
        }
        return l;
    }

    /**
     * The CPU-style candidates for vectors of {@code width}: channel-vector tiles of one, two and
     * three vectors (as many pixels as the accumulator budget leaves) and of one half-width
     * vector (for groups of few channels), two pixel-vector tiles, and one GPU-style config.
     */
    static List<GemmConfig> cpuCandidates(int width) {
        return cpuCandidates(width, accumulatorVectors(width));
    }

    /** As above, with {@code acc} vector accumulators. */
    static List<GemmConfig> cpuCandidates(int width, int acc) {
        List<GemmConfig> l = new ArrayList<>();
        for (int mv = 1; mv <= 3; mv++) {
            l.add(GemmConfig.cm(width, mv * width, acc / mv, 1));
        }
        if (width >= 8) {
            l.add(GemmConfig.cm(width / 2, width / 2, acc, 1));
        }
        l.add(GemmConfig.pv(width, acc / 4 + 1, 2 * width, 1));
        l.add(GemmConfig.pv(width, acc / 8 + 1, 4 * width, 1));
        l.add(GemmConfig.lm(8, 8, 32, 32, 16));
        return l;
    }

    /** The GPU-style candidates, plus register-tile kernels in work-groups of 64. */
    static List<GemmConfig> gpuCandidates() {
        return List.of(
                GemmConfig.lm(16, 16, 64, 64, 16),
                GemmConfig.lm(16, 16, 128, 64, 8),
                GemmConfig.lm(16, 16, 32, 32, 16),
                GemmConfig.lm(8, 16, 16, 64, 16),
                GemmConfig.lm(8, 32, 32, 128, 8),
                GemmConfig.cm(4, 8, 4, 64),
                GemmConfig.pv(4, 4, 8, 64));
    }
}
