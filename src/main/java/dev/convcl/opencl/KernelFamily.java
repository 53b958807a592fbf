package dev.convcl.opencl;

import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.spi.Primitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The kernel families whose tiles are tuned, each named as its implementation in
 * {@link OpenClBackend}'s list ({@code gemm}, {@code depthwise}, {@code deform-gemm}): what the
 * {@link TuningTable} keys its entries by, with the family's problem classes, and what the
 * {@link Tuner} and the implementations share (the candidate list, the default, the plan made
 * from a configuration's text).
 */
enum KernelFamily {
    /** {@code conv2d_gemm.cl}: conv2d that is not depthwise; classes of {@link ProblemClass}. */
    GEMM("gemm"),
    /**
     * {@code depthwise.cl}: conv2d with groups == c; classes by kernel size ({@code small} up to 3,
     * {@code medium} up to 7, {@code large} up to 15, {@code huge} above), {@code -strided} for a
     * stride above 1.
     */
    DEPTHWISE("depthwise"),
    /** {@code deform2d_gemm.cl}: deform2d; classes {@code deform} and {@code deform-strided}. */
    DEFORM("deform-gemm");

    private final String key;

    KernelFamily(String key) {
        this.key = key;
    }

    /** The implementation's name, which prefixes the family's entries in tuning files. */
    String key() {
        return key;
    }

    /** The family whose kernel runs {@code spec}. */
    static KernelFamily of(Convolution spec) {
        return spec.isDeformable() ? DEFORM : spec.isDepthwise() ? DEPTHWISE : GEMM;
    }

    /** The family named {@code key}, if any. */
    static Optional<KernelFamily> byKey(String key) {
        for (KernelFamily f : values()) {
            if (f.key.equals(key)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    private static final String SMALL_HW = "-smallhw";

    /**
     * The class of {@code spec}: the base class, with {@code -smallhw} for small outputs: for
     * GEMM at most 256 pixels over the batch ({@link ProblemClass#keyOf}), for depthwise and
     * deform-gemm at most 256 pixels a plane (their tiles work within one plane or image).
     */
    String classKey(Convolution spec) {
        if (this == GEMM) {
            return ProblemClass.keyOf(spec);
        }
        return baseClass(spec) + ((long) spec.outH() * spec.outW() <= ProblemClass.SMALL_HW ? SMALL_HW : "");
    }

    /** {@code key} without its {@code -smallhw} suffix. */
    static String baseOf(String key) {
        return key.endsWith(SMALL_HW) ? key.substring(0, key.length() - SMALL_HW.length()) : key;
    }

    private String baseClass(Convolution spec) {
        boolean strided = spec.strideH() > 1 || spec.strideW() > 1;
        return switch (this) {
            case GEMM -> ProblemClass.of(spec).key();
            case DEPTHWISE -> {
                int k = Math.max(spec.kh(), spec.kw());
                String size = k <= 3 ? "small" : k <= 7 ? "medium" : k <= 15 ? "large" : "huge";
                yield strided ? size + "-strided" : size;
            }
            case DEFORM -> strided ? "deform-strided" : "deform";
        };
    }

    /** Whether {@code key} is a class of this family (with or without {@code -smallhw}). */
    boolean isClassKey(String key) {
        if (this == GEMM) {
            return ProblemClass.isKey(key);
        }
        String base = baseOf(key);
        return switch (this) {
            case DEPTHWISE -> base.matches("(small|medium|large|huge)(-strided)?");
            case DEFORM -> base.equals("deform") || base.equals("deform-strided");
            case GEMM -> false;
        };
    }

    /**
     * The configuration {@code text} in its canonical form.
     *
     * @throws IllegalArgumentException naming the field when the text is not a configuration of this family
     */
    String canonical(String text) {
        return switch (this) {
            case GEMM -> GemmConfig.parse(text).toString();
            case DEPTHWISE -> depthwiseTile(text).toString();
            case DEFORM -> deformTile(text).toString();
        };
    }

    /**
     * Configuration {@code text}, measured on other problems of {@code spec}'s class, as it applies
     * to {@code spec} ({@link KernelTile#fittedTo}: a depthwise tile loses the vectors past the
     * output row, a deform2d_cm.cl tile the pixels, channels and chunk channels past the
     * problem's); GEMM and deform2d_gemm.cl configurations as they are, and so is text that is not a
     * configuration of this family ({@link TuningTable#DEFAULTS}, or a broken entry: {@link #unsuitable}
     * names what is wrong with it).
     */
    String fitted(Convolution spec, String text) {
        if (this == GEMM) {
            return text;
        }
        try {
            return (this == DEPTHWISE ? depthwiseTile(text) : deformTile(text)).fittedTo(spec).toString();
        } catch (IllegalArgumentException e) {
            return text;
        }
    }

    /** Empty when configuration {@code text} can run {@code spec} on {@code device}, else why not. */
    Optional<String> unsuitable(Convolution spec, String text, OpenClDeviceInfo device) {
        try {
            switch (this) {
                case GEMM -> {
                    return GemmConvPlan.unsuitableReason(spec, GemmConfig.parse(text), device);
                }
                case DEPTHWISE, DEFORM -> {
                    KernelTile t = this == DEPTHWISE ? depthwiseTile(text) : deformTile(text);
                    if (t instanceof DepthwisePlanePlan.Tile plane && plane.unsuitable(spec).isPresent()) {
                        return plane.unsuitable(spec);
                    }
                    if (t instanceof DepthwiseMapPlan.Tile map && map.unsuitable(spec).isPresent()) {
                        return map.unsuitable(spec);
                    }
                    return t.fits(spec, device) ? Optional.empty() : Optional.of("tile " + t + " needs "
                            + t.workGroupSize() + " work-items and " + t.localBytes(spec) + " bytes of local memory");
                }
                default -> throw new IllegalStateException(name());
            }
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * Whether configuration {@code text} is a tile of a kernel made for some shapes of its class
     * only ({@code depthwise-plane}: stride 1; {@code depthwise-map}: output rows of at most
     * {@link DepthwiseMapPlan#MAX_VECTORS} vectors, at most {@link DepthwiseMapPlan#MAX_TAPS} taps)
     * that cannot run {@code spec}'s shape, whatever the device: the class's other problems then
     * take the default tile by design, not for a fault of the device or of the tuning file.
     */
    boolean outOfShape(Convolution spec, String text) {
        if (this != DEPTHWISE) {
            return false;
        }
        try {
            KernelTile t = depthwiseTile(text);
            return t instanceof DepthwisePlanePlan.Tile plane && plane.unsuitable(spec).isPresent()
                    || t instanceof DepthwiseMapPlan.Tile map && map.unsuitable(spec).isPresent();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The default configuration for {@code spec} on {@code device} (from {@link DeviceProfile}), if one fits. */
    Optional<String> defaultConfig(Convolution spec, OpenClDeviceInfo device) {
        DeviceProfile p = DeviceProfile.of(device);
        return switch (this) {
            case GEMM -> Optional.of(p.gemm(spec).toString());
            case DEPTHWISE -> p.depthwiseConfig(spec).map(Object::toString);
            case DEFORM -> p.deform(spec).map(Object::toString);
        };
    }

    /** The configurations the tuner times for {@code spec} on {@code device}, the default first; each fits. */
    List<String> candidates(Convolution spec, OpenClDeviceInfo device) {
        DeviceProfile p = DeviceProfile.of(device);
        List<String> l = new ArrayList<>();
        switch (this) {
            case GEMM -> GemmDefaults.candidates(spec, p).forEach(g -> l.add(g.toString()));
            case DEPTHWISE -> p.depthwiseConfigs(spec).forEach(t -> l.add(t.toString()));
            case DEFORM -> p.deformCandidates(spec).forEach(t -> l.add(t.toString()));
        }
        return l;
    }

    /** The plan of {@code spec} with configuration {@code text}; the caller closes it. */
    Primitive create(OpenClContext ctx, Convolution spec, String text) {
        return switch (this) {
            case GEMM -> new GemmConvPlan(ctx, spec, GemmConfig.parse(text));
            case DEPTHWISE -> {
                KernelTile t = depthwiseTile(text);
                yield t instanceof DepthwiseRowsPlan.Tile rows ? new DepthwiseRowsPlan(ctx, spec, rows)
                        : t instanceof DepthwisePlanePlan.Tile plane ? new DepthwisePlanePlan(ctx, spec, plane)
                        : t instanceof DepthwiseMapPlan.Tile map ? new DepthwiseMapPlan(ctx, spec, map)
                        : new DepthwisePlan(ctx, spec, (DepthwisePlan.Tile) t);
            }
            case DEFORM -> {
                KernelTile t = deformTile(text);
                yield t instanceof DeformCmPlan.Tile cm ? new DeformCmPlan(ctx, spec, cm)
                        : new DeformGemmPlan(ctx, (DeformConv2d) spec, (DeformGemmPlan.Tile) t);
            }
        };
    }

    /**
     * The two kernels of the deformable family, told apart by a configuration's first word:
     * {@code deform2d_cm.cl}'s channel-vector tiles ({@code cm ...}) and {@code deform2d_gemm.cl}'s
     * (no word).
     */
    static KernelTile deformTile(String text) {
        return TileKeys.startsWith(text, DeformCmPlan.PREFIX) ? DeformCmPlan.Tile.parse(text)
                : DeformGemmPlan.Tile.parse(text);
    }

    /**
     * The four kernels of the depthwise family, told apart by a configuration's first word: the
     * staged tiles of {@code depthwise.cl} ({@code depthwise}, no word), its row-reuse tiles
     * ({@code rows ...}, {@code depthwise-rows}), {@code depthwise_plane.cl}'s ({@code plane ...},
     * {@code depthwise-plane}) and {@code depthwise_map.cl}'s ({@code map ...}, {@code depthwise-map}).
     * Each kind holds its word and its tile's parser, the one place that
     * maps a configuration's text to its kernel.
     */
    enum DepthwiseKind {
        STAGED("depthwise", "", DepthwisePlan.Tile::parse),
        ROWS("depthwise-rows", DepthwiseRowsPlan.PREFIX, DepthwiseRowsPlan.Tile::parse),
        PLANE("depthwise-plane", DepthwisePlanePlan.PREFIX, DepthwisePlanePlan.Tile::parse),
        MAP("depthwise-map", DepthwiseMapPlan.PREFIX, DepthwiseMapPlan.Tile::parse);

        private final String implementation;
        private final String word;
        private final Function<String, KernelTile> parser;

        DepthwiseKind(String implementation, String word, Function<String, KernelTile> parser) {
            this.implementation = implementation;
            this.word = word;
            this.parser = parser;
        }

        /** The kind whose word starts {@code text}; {@link #STAGED} (no word) for any other text. */
        static DepthwiseKind of(String text) {
            for (DepthwiseKind k : values()) {
                if (!k.word.isEmpty() && TileKeys.startsWith(text, k.word)) {
                    return k;
                }
            }
            return STAGED;
        }

        /** The name of the implementation in {@link OpenClBackend}'s list that runs this kind's tiles. */
        String implementation() {
            return implementation;
        }
    }

    /** The kernel a depthwise configuration's text is for (by its first word; anything else is staged). */
    static DepthwiseKind depthwiseKind(String text) {
        return DepthwiseKind.of(text);
    }

    /**
     * A depthwise configuration: {@code rows vw=.. nv=.. th=.. cb=..} is the row-reuse kernel's
     * ({@link DepthwiseRowsPlan.Tile}), {@code plane vw=.. th=.. xc=.. cb=..} {@code depthwise_plane.cl}'s
     * ({@link DepthwisePlanePlan.Tile}), {@code map vw=.. cb=..} {@code depthwise_map.cl}'s
     * ({@link DepthwiseMapPlan.Tile}), anything else {@code depthwise.cl}'s staged one ({@link DepthwisePlan.Tile}).
     *
     * @throws IllegalArgumentException naming the text and the rule
     */
    static KernelTile depthwiseTile(String text) {
        return depthwiseKind(text).parser.apply(text);
    }

    @Override
    public String toString() {
        return key.toLowerCase(Locale.ROOT);
    }
}
