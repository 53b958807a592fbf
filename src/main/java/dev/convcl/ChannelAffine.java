package dev.convcl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A per-channel affine map followed by the {@link PostOps} chain, on an NCHW float32 tensor:
 * {@code y[n,c,h,w] = post(x[n,c,h,w] * scale[c] + shift[c])}. It is inference batch norm that
 * could not be folded into a convolution ({@code scale = weight / sqrt(running_var + eps)},
 * {@code shift = bias - running_mean * scale}), and a standalone activation ({@code scale = 1},
 * {@code shift = 0}, the activation as the post-op).
 *
 * <p>Arguments ({@link #arguments()}): {@link Arg#SRC} {@code [n, c, h, w]}, {@link Arg#SCALE}
 * {@code [c]}, {@link Arg#SHIFT} {@code [c]}, {@link Arg#SUM} of the input's shape when a post-op
 * sums, and {@link Arg#DST} {@code [n, c, h, w]}.
 *
 * <p>One-line form: {@code op=channel_affine n= c= h= w= [post=...]}.
 *
 * @param n         batch size, at least 1
 * @param c         channels, at least 1
 * @param h         height, at least 1
 * @param w         width, at least 1
 * @param postOps   the epilogue after the affine map
 * @param dataType  the element type
 * @param direction the pass
 */
public record ChannelAffine(int n, int c, int h, int w, PostOps postOps, DataType dataType, Direction direction)
        implements Operation {

    static final Set<String> KEYS = Set.of("op", "n", "c", "h", "w", "post", "dt", "dir");

    /**
     * Checks every rule.
     *
     * @param n         batch size, at least 1
     * @param c         channels, at least 1
     * @param h         height, at least 1
     * @param w         width, at least 1
     * @param postOps   the epilogue after the affine map, not null
     * @param dataType  the element type, not null
     * @param direction the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g. {@code c=0 must
     *                                  be at least 1}; also when the tensor would have 2^31 elements or more
     */
    public ChannelAffine {
        OneLine.positiveNchw(n, c, h, w);
        ShapeRules.notNull(postOps, dataType, direction);
        OneLine.fits("input", n, c, h, w);
    }

    /**
     * A forward float32 descriptor.
     *
     * @param n       batch size, at least 1
     * @param c       channels, at least 1
     * @param h       height, at least 1
     * @param w       width, at least 1
     * @param postOps the epilogue after the affine map, not null
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public ChannelAffine(int n, int c, int h, int w, PostOps postOps) {
        this(n, c, h, w, postOps, DataType.F32, Direction.FORWARD);
    }

    @Override
    public String name() {
        return "channel_affine";
    }

    /**
     * The input's shape, also the output's.
     *
     * @return {@code [n, c, h, w]}
     */
    public int[] shape() {
        return new int[] {n, c, h, w};
    }

    /**
     * Elements of the input (and of the output).
     *
     * @return {@code n * c * h * w}
     */
    public long size() {
        return (long) n * c * h * w;
    }

    @Override
    public List<ArgSpec> arguments() {
        List<ArgSpec> a = new ArrayList<>();
        a.add(new ArgSpec(Arg.SRC, shape(), "[N, C, H, W]"));
        a.add(new ArgSpec(Arg.SCALE, new int[] {c}, "[C]"));
        a.add(new ArgSpec(Arg.SHIFT, new int[] {c}, "[C]"));
        if (postOps.hasSum()) {
            a.add(new ArgSpec(Arg.SUM, shape(), "[N, C, H, W]"));
        }
        a.add(new ArgSpec(Arg.DST, shape(), "[N, C, H, W]"));
        return a;
    }

    /** A multiply and an add per element. */
    @Override
    public double flops() {
        return 2.0 * size();
    }

    /**
     * The same problem with another epilogue.
     *
     * @param p the epilogue, not null
     * @return a new descriptor
     */
    public ChannelAffine withPostOps(PostOps p) {
        return new ChannelAffine(n, c, h, w, p, dataType, direction);
    }

    /** {@code op=channel_affine n=1 c=64 h=56 w=56 [post=relu]}. */
    @Override
    public String toString() {
        return "op=channel_affine n=" + n + " c=" + c + " h=" + h + " w=" + w
                + (postOps.isEmpty() ? "" : " post=" + postOps);
    }

    static ChannelAffine fromFields(Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        int[] s = OneLine.nchw(f);
        return new ChannelAffine(s[0], s[1], s[2], s[3], PostOps.parse(f.get("post")), OneLine.dataType(f),
                OneLine.direction(f));
    }
}
