package dev.convcl.opencl;

import dev.convcl.Convolution;
import java.util.Locale;

/**
 * The classes of ordinary conv2d problems that the tuner chooses a GEMM tile for: problems of
 * one class stress the kernels the same way (tap count, stride, channels per group), so one tile
 * serves them. A class has a size variant, {@code -smallhw}, for outputs of at most
 * {@value #SMALL_HW} pixels over the whole batch (large channel counts, little parallelism along
 * pixels; the batch multiplies the work-groups, so ResNet-18's 7x7 layers are {@code -smallhw}
 * at batch 1 and not at batch 8, where a tile chosen for batch 1 ran them 30-40% slower).
 * {@link #POINTWISE} and {@link #POINTWISE_STRIDED} have an epilogue variant, {@code -sum} (before
 * {@code -smallhw}), for 1x1 layers whose post-op chain has a sum step (the last 1x1 of a residual
 * block; strided: a projection shortcut computed after the block's last 1x1, which takes the
 * block's output as its sum): their epilogue reads a tensor of the output's size, which the
 * channel-vector tile reads a float a lane, and beside a 1x1 layer's short reduction that read
 * weighed 1.3-2.1x the kernel time ({@code GemmDefaults.sumPrefersPixelVectors}), so a tile timed
 * without it is no guide (DRN-C-26's 16 -> 32 stride-2 projection with its sum: pixel vectors
 * 0.100 ms against the channel-vector default's 0.136; ResNeXt-50's 256 -> 512 one the other way,
 * 1.12 against 0.81; docs/performance-notes.md). The bundled shapes have no sum: the variants take
 * the device's defaults unless tuned on a summed layer (automatic tuning, when on, does on first
 * use). Not covered: one tile serves a class, whose layers reduce over fewer channels than they
 * output (the defaults give them pixel vectors) or more (channel vectors), so a tile tuned on one
 * kind reaches the other; a problem of the tuning set keeps its own tile where it differs.
 */
public enum ProblemClass {
    /** 1x1, stride 1, groups 1: a plain GEMM. */
    POINTWISE,
    /** 1x1 with stride above 1, groups 1 (projection shortcuts). */
    POINTWISE_STRIDED,
    /** Square kernel larger than 1x1, stride 1, dilation 1, groups 1. */
    DENSE,
    /** Dilation above 1, groups 1. */
    DILATED,
    /** Kernel larger than 1x1 with stride above 1, groups 1 (e.g. 7x7 stride 2 stems). */
    STRIDED,
    /** Non-square kernel (1x7, 7x1), stride 1, dilation 1, groups 1. */
    ASYMMETRIC,
    /** Groups above 1 with fewer than {@value #NARROW_GROUP} output channels per group. */
    GROUPED_NARROW,
    /** Groups above 1 with at least {@value #NARROW_GROUP} output channels per group (not depthwise). */
    GROUPED;

    /** Output channels per group below which a group counts as narrow. */
    public static final int NARROW_GROUP = 16;
    /** Output pixels (over the batch) at or below which a problem gets the {@code -smallhw} variant. */
    public static final int SMALL_HW = 256;

    /** The base class of {@code spec} (which must be conv2d, not depthwise). */
    public static ProblemClass of(Convolution spec) {
        boolean strided = spec.strideH() > 1 || spec.strideW() > 1;
        if (spec.groups() > 1) {
            return spec.kPerGroup() < NARROW_GROUP ? GROUPED_NARROW : GROUPED;
        }
        if (spec.kh() == 1 && spec.kw() == 1) {
            return strided ? POINTWISE_STRIDED : POINTWISE;
        }
        if (spec.dilH() > 1 || spec.dilW() > 1) {
            return DILATED;
        }
        if (strided) {
            return STRIDED;
        }
        return spec.kh() != spec.kw() ? ASYMMETRIC : DENSE;
    }

    /** The name used in tuning files, e.g. {@code grouped-narrow}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The suffix of {@link #POINTWISE}'s and {@link #POINTWISE_STRIDED}'s variants for a chain with a sum step. */
    public static final String SUM = "-sum";

    /**
     * The key of {@code spec}: the base key, with {@code -sum} for a 1x1 layer of class
     * {@link #POINTWISE} or {@link #POINTWISE_STRIDED} whose chain has a sum step, and
     * {@code -smallhw} for small outputs (counted over the batch), e.g. {@code pointwise-sum-smallhw},
     * {@code pointwise-strided-sum}.
     */
    public static String keyOf(Convolution spec) {
        String key = of(spec).key() + (hasSumVariant(spec) ? SUM : "");
        return (long) spec.n() * spec.outH() * spec.outW() <= SMALL_HW ? key + "-smallhw" : key;
    }

    /**
     * Whether {@code spec} is of a {@code -sum} variant: a plain 1x1 conv2d (class {@link #POINTWISE}
     * or {@link #POINTWISE_STRIDED}) whose chain has a sum step.
     */
    public static boolean hasSumVariant(Convolution spec) {
        ProblemClass c = spec.isDeformable() ? null : of(spec);
        return (c == POINTWISE || c == POINTWISE_STRIDED) && spec.postOps().hasSum();
    }

    /**
     * Whether {@code key} is a base key of some class, or one with {@code -sum} (the two 1x1 classes
     * only) and {@code -smallhw}.
     */
    public static boolean isKey(String key) {
        String base = key.endsWith("-smallhw") ? key.substring(0, key.length() - "-smallhw".length()) : key;
        if (base.equals(POINTWISE.key() + SUM) || base.equals(POINTWISE_STRIDED.key() + SUM)) {
            return true;
        }
        for (ProblemClass c : values()) {
            if (c.key().equals(base)) {
                return true;
            }
        }
        return false;
    }
}
