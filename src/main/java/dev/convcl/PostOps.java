package dev.convcl;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An operation's epilogue: the chain of {@link PostOp}s applied in order to every output value
 * after the bias, inside the kernel that computes it (oneDNN's post-ops attribute). For example
 * {@code sum+relu} is a ResNet block's {@code relu(conv(x) + b + residual)}. At most one
 * {@link Sum} per chain (it reads the operation's {@link Arg#SUM} tensor).
 *
 * <pre>{@code
 * PostOps block = PostOps.of(new Sum(1f), Activation.relu());   // relu(conv + bias + residual)
 * PostOps same = PostOps.parse("sum+relu");
 * block.apply(-2.0, 3.0);                                       // relu(-2 + 1 * 3) = 1.0
 * }</pre>
 *
 * @param ops the steps, in order (copied)
 */
public record PostOps(List<PostOp> ops) {
    private static final PostOps NONE = new PostOps(List.of());

    /**
     * Copies the list and checks that it holds at most one {@code sum}.
     *
     * @param ops the steps, in order; not null, no null step
     * @throws IllegalArgumentException when {@code ops} is null, holds a null step or more than one {@link Sum}
     */
    public PostOps {
        if (ops == null) {
            throw new IllegalArgumentException("post-ops must not be null");
        }
        int at = 0;
        for (PostOp p : ops) { // not indexOf(null): an immutable list throws on a null probe
            if (p == null) {
                throw new IllegalArgumentException("post-op " + at + " of " + ops.size() + " is null");
            }
            at++;
        }
        ops = List.copyOf(ops);
        checkOneSum(ops, join(ops));
    }

    /** At most one sum in {@code ops}; the message names the chain as {@code text}. */
    private static void checkOneSum(List<PostOp> ops, String text) {
        long sums = ops.stream().filter(p -> p instanceof Sum).count();
        if (sums > 1) {
            throw new IllegalArgumentException("post-ops '" + text + "' have " + sums + " sums; at most one is allowed");
        }
    }

    /**
     * The empty chain: the output is the convolution plus its bias.
     *
     * @return the empty chain
     */
    public static PostOps none() {
        return NONE;
    }

    /**
     * The chain of the given steps, in order.
     *
     * @param ops the steps
     * @return the chain
     * @throws IllegalArgumentException when {@code ops} is null, a step is null or the steps hold more than one
     *                                  {@link Sum}
     */
    public static PostOps of(PostOp... ops) {
        if (ops == null) {
            throw new IllegalArgumentException("post-ops must not be null");
        }
        return ops.length == 0 ? NONE : new PostOps(java.util.Arrays.asList(ops));
    }

    /**
     * Whether the chain has no step.
     *
     * @return true for {@link #none()}
     */
    public boolean isEmpty() {
        return ops.isEmpty();
    }

    /**
     * The {@code sum} step.
     *
     * @return the step, or empty when the chain has none
     */
    public Optional<Sum> sum() {
        for (PostOp p : ops) {
            if (p instanceof Sum s) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether the chain reads an {@link Arg#SUM} tensor.
     *
     * @return true when a step is a {@link Sum}
     */
    public boolean hasSum() {
        return sum().isPresent();
    }

    /**
     * This chain followed by one more step; this chain is unchanged.
     *
     * @param next the step applied last
     * @return the longer chain
     * @throws IllegalArgumentException when it would hold more than one {@link Sum}
     */
    public PostOps then(PostOp next) {
        List<PostOp> all = new ArrayList<>(ops);
        all.add(next);
        return new PostOps(all);
    }

    /**
     * Whether the chain is exactly one {@code relu}.
     *
     * @return true for {@code PostOps.of(Activation.relu())}
     */
    public boolean isRelu() {
        return ops.size() == 1 && ops.get(0) instanceof Activation a && a.kind() == Activation.Kind.RELU;
    }

    /**
     * Applies the chain to {@code x} in double precision: the reference definition every backend
     * is checked against (kernels compute it in float32).
     *
     * @param x   the output value after the bias
     * @param sum the {@link Arg#SUM} tensor's value at this element; ignored without a sum step
     * @return the value after every step; a {@code sum} step adds {@code scale * sum}
     */
    public double apply(double x, double sum) {
        double v = x;
        for (PostOp p : ops) {
            if (p instanceof Activation a) {
                v = a.apply(v);
            } else if (p instanceof Sum s) {
                v = v + s.scale() * sum;
            }
        }
        return v;
    }

    /**
     * The one-line form, read back by {@link #parse}.
     *
     * @return the steps' {@link PostOp#token()}s joined by {@code +}, e.g. {@code sum:0.5+relu};
     *         empty for no steps
     */
    @Override
    public String toString() {
        return join(ops);
    }

    private static String join(List<PostOp> ops) {
        StringBuilder sb = new StringBuilder();
        for (PostOp p : ops) {
            sb.append(sb.length() == 0 ? "" : "+").append(p.token());
        }
        return sb.toString();
    }

    /**
     * Reads the one-line form ({@code sum}, {@code sum:0.5}, activations as
     * {@link Activation#parse}; steps joined by {@code +}); {@code none} or an empty string is the
     * empty chain.
     *
     * @param s e.g. {@code sum+relu}, {@code clip:0:6}, {@code leaky_relu:0.1}, or null
     * @return the chain
     * @throws IllegalArgumentException naming the step and the rule, each value as typed
     */
    public static PostOps parse(String s) {
        if (s == null || s.isBlank() || s.equals("none")) {
            return NONE;
        }
        List<PostOp> ops = new ArrayList<>();
        for (String token : s.split("\\+", -1)) {
            if (token.isEmpty()) {
                throw new IllegalArgumentException("post-ops '" + s + "' have an empty step");
            }
            if (token.equals("sum")) {
                ops.add(new Sum(1f));
            } else if (token.startsWith("sum:")) {
                String text = token.substring(4);
                float scale = Activation.number(token, text);
                if (!Float.isFinite(scale)) { // Sum's own rule would name the float: Infinity for inf
                    throw new IllegalArgumentException("post-op '" + token + "': scale " + text.strip() + " must be finite");
                }
                ops.add(new Sum(scale));
            } else {
                ops.add(Activation.parse(token));
            }
        }
        checkOneSum(ops, s); // the chain as typed: sum:2 is not sum:2.0
        return new PostOps(ops);
    }
}
