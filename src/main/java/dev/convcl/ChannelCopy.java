package dev.convcl;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies a range of channels between two NCHW float32 tensors of the same batch and plane size:
 * {@code dst[:, dstStart + i * dstStep] = src[:, srcStart + i]} for {@code i < count}.
 * Concatenation along the channels ({@code torch.cat(xs, dim=1)}) is one copy per input into one
 * output; a slice or a part of {@code torch.split} is one copy into its own output; with
 * {@code dstStep > 1} the copied channels land every {@code dstStep}-th channel, which is how a
 * concatenation followed by a channel shuffle of {@code dstStep} groups (ShuffleNet) is one copy
 * per input, when each input lies within one group of the shuffle.
 *
 * <p>Unlike the other operations, this one writes only the channels {@code dstStart + i * dstStep}
 * of {@link Arg#DST}; the other channels keep their values (a concatenation's copies fill the
 * output together). Arguments ({@link #arguments()}): {@link Arg#SRC} {@code [n, srcChannels, h,
 * w]} and {@link Arg#DST} {@code [n, dstChannels, h, w]}.
 *
 * <p>One-line form: {@code op=channel_copy n= h= w= src_c= src_start= dst_c= dst_start= count=},
 * and {@code dst_step=} when it is not 1.
 *
 * @param n           batch size, at least 1
 * @param h           height, at least 1
 * @param w           width, at least 1
 * @param srcChannels the source's channels, at least 1
 * @param srcStart    the first source channel copied, at least 0
 * @param dstChannels the destination's channels, at least 1
 * @param dstStart    the destination channel of the first copied one, at least 0
 * @param count       channels copied, at least 1; both ranges lie inside their tensors
 * @param dstStep     the destination channels' spacing, at least 1 (1: a contiguous range)
 * @param dataType    the element type
 * @param direction   the pass
 */
public record ChannelCopy(int n, int h, int w, int srcChannels, int srcStart, int dstChannels, int dstStart, int count,
                          int dstStep, DataType dataType, Direction direction) implements Operation {

    static final Set<String> KEYS = Set.of("op", "n", "h", "w", "src_c", "src_start", "dst_c", "dst_start", "count", "dst_step",
            "dt", "dir");

    /**
     * Checks every rule.
     *
     * @param n           batch size, at least 1
     * @param h           height, at least 1
     * @param w           width, at least 1
     * @param srcChannels the source's channels, at least 1
     * @param srcStart    the first source channel copied, at least 0
     * @param dstChannels the destination's channels, at least 1
     * @param dstStart    the destination channel of the first copied one, at least 0
     * @param count       channels copied, at least 1
     * @param dstStep     the destination channels' spacing, at least 1
     * @param dataType    the element type, not null
     * @param direction   the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g.
     *                                  {@code src_start=3 with count=4 must lie within the source's src_c=6 channels}
     */
    public ChannelCopy {
        OneLine.positive("n", n);
        OneLine.positive("h", h);
        OneLine.positive("w", w);
        OneLine.positive("src_c", srcChannels);
        OneLine.positive("dst_c", dstChannels);
        OneLine.positive("count", count);
        OneLine.positive("dst_step", dstStep);
        ShapeRules.notNull(PostOps.none(), dataType, direction);
        if (srcStart < 0 || (long) srcStart + count > srcChannels) {
            throw new IllegalArgumentException("src_start=" + srcStart + " with count=" + count
                    + " must lie within the source's src_c=" + srcChannels + " channels");
        }
        if (dstStart < 0 || (long) dstStart + (long) (count - 1) * dstStep + 1 > dstChannels) {
            throw new IllegalArgumentException("dst_start=" + dstStart + " with count=" + count
                    + (dstStep == 1 ? "" : " and dst_step=" + dstStep + " (last channel "
                    + (dstStart + (long) (count - 1) * dstStep) + ")")
                    + " must lie within the destination's dst_c=" + dstChannels + " channels");
        }
        OneLine.fits("input", n, srcChannels, h, w);
        OneLine.fits("output", n, dstChannels, h, w);
    }

    /**
     * A forward float32 descriptor.
     *
     * @param n           batch size, at least 1
     * @param h           height, at least 1
     * @param w           width, at least 1
     * @param srcChannels the source's channels, at least 1
     * @param srcStart    the first source channel copied, at least 0
     * @param dstChannels the destination's channels, at least 1
     * @param dstStart    the destination channel of the first copied one, at least 0
     * @param count       channels copied, at least 1
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public ChannelCopy(int n, int h, int w, int srcChannels, int srcStart, int dstChannels, int dstStart, int count) {
        this(n, h, w, srcChannels, srcStart, dstChannels, dstStart, count, 1, DataType.F32, Direction.FORWARD);
    }

    /**
     * A forward float32 descriptor whose destination channels are {@code dstStep} apart.
     *
     * @param n           batch size, at least 1
     * @param h           height, at least 1
     * @param w           width, at least 1
     * @param srcChannels the source's channels, at least 1
     * @param srcStart    the first source channel copied, at least 0
     * @param dstChannels the destination's channels, at least 1
     * @param dstStart    the destination channel of the first copied one, at least 0
     * @param count       channels copied, at least 1
     * @param dstStep     the destination channels' spacing, at least 1
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public ChannelCopy(int n, int h, int w, int srcChannels, int srcStart, int dstChannels, int dstStart, int count,
                       int dstStep) {
        this(n, h, w, srcChannels, srcStart, dstChannels, dstStart, count, dstStep, DataType.F32, Direction.FORWARD);
    }

    @Override
    public String name() {
        return "channel_copy";
    }

    /**
     * The source's shape.
     *
     * @return {@code [n, srcChannels, h, w]}
     */
    public int[] inputShape() {
        return new int[] {n, srcChannels, h, w};
    }

    /**
     * The destination's shape.
     *
     * @return {@code [n, dstChannels, h, w]}
     */
    public int[] outputShape() {
        return new int[] {n, dstChannels, h, w};
    }

    /**
     * Whether the copy writes every channel of the destination.
     *
     * @return {@code count == dstChannels} (then {@code dstStart} is 0 and, with more than one
     *         channel, {@code dstStep} is 1)
     */
    public boolean writesWholeOutput() {
        return dstStart == 0 && count == dstChannels;
    }

    @Override
    public List<ArgSpec> arguments() {
        return ShapeRules.srcDst(inputShape(), "[N, Cs, H, W]", outputShape(), "[N, Cd, H, W]");
    }

    /** {@code op=channel_copy n=1 h=28 w=28 src_c=64 src_start=0 dst_c=128 dst_start=64 count=64}. */
    @Override
    public String toString() {
        return "op=channel_copy n=" + n + " h=" + h + " w=" + w + " src_c=" + srcChannels + " src_start=" + srcStart
                + " dst_c=" + dstChannels + " dst_start=" + dstStart + " count=" + count
                + (dstStep == 1 ? "" : " dst_step=" + dstStep);
    }

    static ChannelCopy fromFields(Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        return new ChannelCopy(OneLine.intField(f, "n"), OneLine.intField(f, "h"), OneLine.intField(f, "w"),
                OneLine.intField(f, "src_c"), OneLine.intField(f, "src_start", 0), OneLine.intField(f, "dst_c"),
                OneLine.intField(f, "dst_start", 0), OneLine.intField(f, "count"), OneLine.intField(f, "dst_step", 1),
                OneLine.dataType(f),
                OneLine.direction(f));
    }
}
