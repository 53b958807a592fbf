package dev.convcl;

import java.util.ArrayList;
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

    /** Checks every rule; see the class comment. */
    public Conv2d {
        Checks.convolution(n, c, h, w, k, window, groups, postOps, dataType, direction);
    }

    /** A builder: {@code Conv2d.builder().input(1, 64, 56, 56).output(64).kernel(3, 3).padding(1).build()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder preset for depthwise convolution: {@code groups = c}, {@code k = multiplier * c}. */
    public static Builder depthwise(int n, int c, int h, int w, int multiplier) {
        return builder().input(n, c, h, w).output(multiplier * c).groups(c);
    }

    @Override
    public String name() {
        return "conv2d";
    }

    @Override
    public List<ArgSpec> arguments() {
        List<ArgSpec> a = new ArrayList<>();
        a.add(new ArgSpec(Arg.SRC, inputShape(), "[N, C, H, W]"));
        a.add(new ArgSpec(Arg.WEIGHTS, weightShape(), "[K, C/groups, kh, kw]"));
        if (bias) {
            a.add(new ArgSpec(Arg.BIAS, biasShape(), "[K]"));
        }
        if (postOps.hasSum()) {
            a.add(new ArgSpec(Arg.SUM, outputShape(), "[N, K, OH, OW]"));
        }
        a.add(new ArgSpec(Arg.DST, outputShape(), "[N, K, OH, OW]"));
        return a;
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

    /** This descriptor with another window (kernel, stride, padding, dilation). */
    public Conv2d withWindow(Window2d win) {
        return new Conv2d(n, c, h, w, k, win, groups, bias, postOps, dataType, direction);
    }

    @Override
    public Conv2d asConv2d() {
        return this;
    }

    /** {@code op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=0 [post=relu]}. */
    @Override
    public String toString() {
        return "op=conv2d " + Checks.shapeFields(this) + Checks.tailFields(this);
    }

    /**
     * Reads the one-line form (see the class comment).
     *
     * @throws IllegalArgumentException naming the field and the rule
     */
    public static Conv2d parse(String line) {
        Operation op = Operation.parse(line);
        if (op instanceof Conv2d c) {
            return c;
        }
        throw new IllegalArgumentException("'" + line + "' is op=" + op.name() + ", not op=conv2d");
    }

    static Conv2d fromFields(Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        return new Conv2d(OneLine.intField(f, "n"), OneLine.intField(f, "c"), OneLine.intField(f, "h"),
                OneLine.intField(f, "w"), OneLine.intField(f, "k"), OneLine.window(f), OneLine.intField(f, "groups", 1),
                OneLine.flag(f, "bias"), OneLine.postOps(f), OneLine.dataType(f), OneLine.direction(f));
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder extends ConvBuilder<Builder> {
        private Builder() {
        }

        /** The descriptor. @throws IllegalArgumentException naming the field and the rule */
        public Conv2d build() {
            return new Conv2d(n, c, h, w, k, window(), groups, bias, postOps, dataType, Direction.FORWARD);
        }
    }
}
