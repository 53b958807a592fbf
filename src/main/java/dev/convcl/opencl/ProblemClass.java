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

    /** The key of {@code spec}: the base key, with {@code -smallhw} for small outputs (counted over the batch). */
    public static String keyOf(Convolution spec) {
        String base = of(spec).key();
        return (long) spec.n() * spec.outH() * spec.outW() <= SMALL_HW ? base + "-smallhw" : base;
    }

    /** Whether {@code key} is a base key or a {@code -smallhw} key of some class. */
    public static boolean isKey(String key) {
        String base = key.endsWith("-smallhw") ? key.substring(0, key.length() - "-smallhw".length()) : key;
        for (ProblemClass c : values()) {
            if (c.key().equals(base)) {
                return true;
            }
        }
        return false;
    }
}
