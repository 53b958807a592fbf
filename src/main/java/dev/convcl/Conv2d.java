package dev.convcl;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * 2-D convolution with the semantics of {@code torch.nn.functional.conv2d(input, weight, bias,
 * stride, padding, dilation, groups)}, followed by the {@link PostOps} chain; NCHW float32.
 * Zero padding is multiplied like any input value, so a NaN or infinite weight reaches the border
 * outputs too, as explicit padding of the input would give.
 *
 * <p>Arguments ({@link #arguments()}): {@link Arg#SRC} {@code [n, c, h, w]},
 * {@link Arg#WEIGHTS} {@code [k, c/groups, kh, kw]}, {@link Arg#BIAS} {@code [k]} when
 * {@link #bias()}, {@link Arg#SUM} of the output's shape when a post-op sums, and
 * {@link Arg#DST} {@code [n, k, outH, outW]}.
 *
 * <p>The constructor checks every rule and throws {@link IllegalArgumentException} naming the
 * field, its value and the rule. One-line form:
 * {@code op=conv2d n= c= h= w= k= kh= kw= stride= pad= dil= groups= bias=0|1 [post=...]}; see
 * {@link Window2d} for stride, pad and dil, {@link PostOps#parse} for post ({@code relu=1} is
 * accepted for {@code post=relu}).
 *
 * <pre>{@code
 * // ResNet's 3x3 block convolution, with the residual added and ReLU applied in its epilogue
 * Conv2d conv = Conv2d.builder().input(8, 64, 56, 56).output(64).kernel(3, 3).padding(1)
 *         .bias(true).postOps(new Sum(1f), Activation.relu()).build();
 * conv.toString();   // op=conv2d n=8 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 post=sum+relu
 * Conv2d same = Conv2d.parse(conv.toString());   // equals conv
 * }</pre>
 *
 * @param n         batch size, at least 1
 * @param c         input channels, at least 1
 * @param h         input height, at least 1
 * @param w         input width, at least 1
 * @param k         output channels, at least 1
 * @param window    kernel size, stride, padding and dilation
 * @param groups    channel groups, dividing c and k
 * @param bias      whether a bias of k values is added
 * @param postOps   the epilogue after the bias
 * @param dataType  the element type
 * @param direction the pass
 */
public record Conv2d(int n, int c, int h, int w, int k, Window2d window, int groups, boolean bias, PostOps postOps,
                     DataType dataType, Direction direction) implements Convolution {

    static final Set<String> KEYS = Set.of("op", "n", "c", "h", "w", "k", "kh", "kw", "stride", "pad", "dil", "groups",
            "bias", "relu", "post", "dt", "dir");

    /**
     * Checks every rule; see the class comment.
     *
     * @param n         batch size, at least 1
     * @param c         input channels, at least 1
     * @param h         input height, at least 1
     * @param w         input width, at least 1
     * @param k         output channels, at least 1
     * @param window    kernel size, stride, padding and dilation; the dilated kernel must fit the
     *                  padded input
     * @param groups    channel groups, dividing c and k
     * @param bias      whether a bias of k values is added
     * @param postOps   the epilogue after the bias, not null
     * @param dataType  the element type, not null
     * @param direction the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g.
     *                                  {@code groups=3 must divide input channels c=64}; also when a
     *                                  tensor would have 2^31 elements or more
     */
    public Conv2d {
        Checks.convolution(n, c, h, w, k, window, groups, postOps, dataType, direction);
    }

    /**
     * A builder with {@link ConvBuilder}'s defaults:
     * {@code Conv2d.builder().input(1, 64, 56, 56).output(64).kernel(3, 3).padding(1).build()}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder preset for depthwise convolution ({@code torch.nn.Conv2d(c, multiplier * c, ...,
     * groups=c)}): {@code groups = c}, {@code k = multiplier * c}. The preset stays depthwise: a
     * later {@link Builder#input input(n, c2, h, w)} sets {@code groups = c2} and
     * {@code k = multiplier * c2} (with the same checks), except that an explicit
     * {@link Builder#groups groups(g)} or {@link Builder#output output(k)} called after this
     * wins and is kept by later {@code input} calls. The multiplier is checked here and by each
     * {@code input} call, since {@link Builder#build()} sees only {@code k}; the shape is checked by
     * {@link Builder#build()}.
     *
     * @param n          batch size
     * @param c          input channels
     * @param h          input height
     * @param w          input width
     * @param multiplier output channels per input channel (PyTorch's depth multiplier), at least 1
     * @return a new builder
     * @throws IllegalArgumentException naming the multiplier when it is below 1, or when
     *                                  {@code multiplier * c} output channels do not fit an int
     */
    public static Builder depthwise(int n, int c, int h, int w, int multiplier) {
        Builder b = builder();
        b.depthwisePreset(multiplier);
        return b.input(n, c, h, w);
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code conv2d}
     */
    @Override
    public String name() {
        return "conv2d";
    }

    @Override
    public List<ArgSpec> arguments() {
        return Checks.convolutionArguments(this, List.of());
    }

    @Override
    public Conv2d withBatch(int batch) {
        return new Conv2d(batch, c, h, w, k, window, groups, bias, postOps, dataType, direction);
    }

    @Override
    public Conv2d withBias(boolean b) {
        return new Conv2d(n, c, h, w, k, window, groups, b, postOps, dataType, direction);
    }

    @Override
    public Conv2d withPostOps(PostOps p) {
        return new Conv2d(n, c, h, w, k, window, groups, bias, p, dataType, direction);
    }

    /**
     * The same problem with another window.
     *
     * @param win the kernel size, stride, padding and dilation
     * @return a new descriptor
     * @throws IllegalArgumentException when {@code win} is null or does not fit the input
     */
    public Conv2d withWindow(Window2d win) {
        return new Conv2d(n, c, h, w, k, win, groups, bias, postOps, dataType, direction);
    }

    @Override
    public Conv2d asConv2d() {
        return this;
    }

    /**
     * The one-line form, read back by {@link #parse}.
     *
     * @return e.g. {@code op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=0 post=relu}
     */
    @Override
    public String toString() {
        return "op=conv2d " + Checks.shapeFields(this) + Checks.tailFields(this);
    }

    /**
     * Reads the one-line form (see the class comment); {@link Operation#parse} reads any operator's.
     *
     * @param line the fields, e.g. {@code op=conv2d n=1 c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3};
     *             omitted fields take their defaults (stride, dil and groups 1, pad 0, bias 0)
     * @return the descriptor
     * @throws IllegalArgumentException naming the field and the rule, or when the line is another
     *                                  operator's
     */
    public static Conv2d parse(String line) {
        return OneLine.parseAs(line, Conv2d.class, "conv2d");
    }

    static Conv2d fromFields(Map<String, String> f) {
        return OneLine.convFields(f, KEYS).conv2d();
    }

    /** Mutable builder of {@link Conv2d}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder extends ConvBuilder<Builder> {
        private Builder() {
        }

        /**
         * The descriptor of the values set so far (forward, with the builder's data type).
         *
         * @return the descriptor
         * @throws IllegalArgumentException naming the field and the rule (as the constructor), or
         *                                  the setter to call when {@link #input} or {@link #output}
         *                                  was not called
         */
        public Conv2d build() {
            checkSet();
            return new Conv2d(n, c, h, w, k, window(), groups, bias, postOps, dataType, Direction.FORWARD);
        }
    }
}
