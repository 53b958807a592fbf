package dev.convcl;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ShuffleNet's channel shuffle of an NCHW float32 tensor, {@code torch.nn.functional.channel_shuffle(x,
 * groups)}: the channels, viewed as {@code [groups, c/groups]}, are transposed, so output channel
 * {@code j*groups + i} is input channel {@code i*(c/groups) + j} (ONNX: Reshape to
 * {@code [n, g, c/g, h, w]}, Transpose {@code 0,2,1,3,4}, Reshape back).
 *
 * <p>Arguments ({@link #arguments()}): {@link Arg#SRC} and {@link Arg#DST}, both
 * {@code [n, c, h, w]}. One-line form: {@code op=channel_shuffle n= c= h= w= groups=}.
 *
 * @param n         batch size, at least 1
 * @param c         channels, at least 1
 * @param h         height, at least 1
 * @param w         width, at least 1
 * @param groups    groups, at least 1, dividing c
 * @param dataType  the element type
 * @param direction the pass
 */
public record ChannelShuffle(int n, int c, int h, int w, int groups, DataType dataType, Direction direction)
        implements Operation {

    static final Set<String> KEYS = Set.of("op", "n", "c", "h", "w", "groups", "dt", "dir");

    /**
     * Checks every rule.
     *
     * @param n         batch size, at least 1
     * @param c         channels, at least 1
     * @param h         height, at least 1
     * @param w         width, at least 1
     * @param groups    groups, at least 1, dividing c
     * @param dataType  the element type, not null
     * @param direction the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g.
     *                                  {@code groups=4 must divide channels c=6}
     */
    public ChannelShuffle {
        OneLine.positiveNchw(n, c, h, w);
        OneLine.positive("groups", groups);
        ShapeRules.notNull(PostOps.none(), dataType, direction);
        if (c % groups != 0) {
            throw new IllegalArgumentException("groups=" + groups + " must divide channels c=" + c);
        }
        OneLine.fits("input", n, c, h, w);
    }

    /**
     * A forward float32 descriptor.
     *
     * @param n      batch size, at least 1
     * @param c      channels, at least 1
     * @param h      height, at least 1
     * @param w      width, at least 1
     * @param groups groups, at least 1, dividing c
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public ChannelShuffle(int n, int c, int h, int w, int groups) {
        this(n, c, h, w, groups, DataType.F32, Direction.FORWARD);
    }

    @Override
    public String name() {
        return "channel_shuffle";
    }

    /**
     * The input's and the output's shape.
     *
     * @return {@code [n, c, h, w]}
     */
    public int[] shape() {
        return new int[] {n, c, h, w};
    }

    /**
     * The input channel an output channel copies.
     *
     * @param o the output channel, 0 to {@code c - 1}
     * @return {@code (o % groups) * (c / groups) + o / groups}
     */
    public int sourceChannel(int o) {
        return (o % groups) * (c / groups) + o / groups;
    }

    @Override
    public List<ArgSpec> arguments() {
        return ShapeRules.srcDst(shape(), "[N, C, H, W]", shape(), "[N, C, H, W]");
    }

    /** {@code op=channel_shuffle n=1 c=116 h=28 w=28 groups=2}. */
    @Override
    public String toString() {
        return "op=channel_shuffle n=" + n + " c=" + c + " h=" + h + " w=" + w + " groups=" + groups;
    }

    static ChannelShuffle fromFields(Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        int[] s = OneLine.nchw(f);
        return new ChannelShuffle(s[0], s[1], s[2], s[3], OneLine.intField(f, "groups"), OneLine.dataType(f),
                OneLine.direction(f));
    }
}
