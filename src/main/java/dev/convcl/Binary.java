package dev.convcl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An element-wise arithmetic operation of two tensors with NumPy broadcasting, followed by the
 * {@link PostOps} chain: {@code y = post(a op b)} with the semantics of {@code torch.add},
 * {@code torch.sub}, {@code torch.mul} and {@code torch.div} (true division, IEEE 754 float32:
 * division by zero gives an infinity or NaN). Shapes of rank 1 to 4 are aligned at their last
 * dimension; each pair of dimensions must be equal or one of them 1, and the result takes the
 * larger. A residual connection is {@code add} of equal shapes; the squeeze-and-excitation scale is
 * {@code mul} of {@code [N, C, H, W]} by {@code [N, C, 1, 1]}.
 *
 * <p>Arguments ({@link #arguments()}): {@link Arg#SRC} of shape {@link #a()}, {@link Arg#OTHER}
 * of shape {@link #b()}, {@link Arg#SUM} of the result's shape when a post-op sums, and
 * {@link Arg#DST} of the result's shape {@link #outputShape()}.
 *
 * <p>One-line form: {@code op=binary kind=add|sub|mul|div a=d0,d1,... b=d0,d1,... [post=...]}.
 *
 * @param kind      the arithmetic
 * @param a         the first operand's shape, rank 1 to 4 (copied)
 * @param b         the second operand's shape, rank 1 to 4 (copied)
 * @param postOps   the epilogue after the arithmetic
 * @param dataType  the element type
 * @param direction the pass
 */
public record Binary(Kind kind, int[] a, int[] b, PostOps postOps, DataType dataType, Direction direction)
        implements Operation {

    static final Set<String> KEYS = Set.of("op", "kind", "a", "b", "post", "dt", "dir");

    /** The arithmetic. */
    public enum Kind {
        /** {@code a + b}. */
        ADD,
        /** {@code a - b}. */
        SUB,
        /** {@code a * b}. */
        MUL,
        /** {@code a / b}. */
        DIV;

        /**
         * The name in the one-line form.
         *
         * @return {@code add}, {@code sub}, {@code mul} or {@code div}
         */
        public String token() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The operation in double precision (the reference definition).
         *
         * @param x the first operand
         * @param y the second operand
         * @return {@code x op y}, IEEE 754
         */
        public double apply(double x, double y) {
            return switch (this) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
            };
        }

        static Kind parse(String s) {
            return OneLine.constant(values(), Kind::token, s, "kind='" + s + "'");
        }
    }

    /**
     * Checks every rule; copies the shapes.
     *
     * @param kind      the arithmetic, not null
     * @param a         the first operand's shape, rank 1 to 4, every dimension at least 1
     * @param b         the second operand's shape, rank 1 to 4, broadcastable with {@code a}
     * @param postOps   the epilogue after the arithmetic, not null
     * @param dataType  the element type, not null
     * @param direction the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g. {@code a [2, 3]
     *                                  and b [4] do not broadcast: ...}; also when the result would have
     *                                  2^31 elements or more
     */
    public Binary {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        a = ShapeRules.checked("a", a);
        b = ShapeRules.checked("b", b);
        ShapeRules.notNull(postOps, dataType, direction);
        OneLine.fits("output", ShapeRules.broadcast("a", a, "b", b));
    }

    /**
     * A forward float32 descriptor.
     *
     * @param kind    the arithmetic, not null
     * @param a       the first operand's shape, rank 1 to 4
     * @param b       the second operand's shape, rank 1 to 4, broadcastable with {@code a}
     * @param postOps the epilogue after the arithmetic, not null
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public Binary(Kind kind, int[] a, int[] b, PostOps postOps) {
        this(kind, a, b, postOps, DataType.F32, Direction.FORWARD);
    }

    @Override
    public String name() {
        return "binary";
    }

    /**
     * The first operand's shape.
     *
     * @return a copy of it
     */
    @Override
    public int[] a() {
        return a.clone();
    }

    /**
     * The second operand's shape.
     *
     * @return a copy of it
     */
    @Override
    public int[] b() {
        return b.clone();
    }

    /**
     * The result's shape: {@code a} and {@code b} broadcast.
     *
     * @return a new array, of the larger rank of the two
     */
    public int[] outputShape() {
        return ShapeRules.broadcast("a", a, "b", b);
    }

    /**
     * Elements of the result.
     *
     * @return the product of {@link #outputShape()}
     */
    public long outputSize() {
        return ShapeRules.size(outputShape());
    }

    @Override
    public List<ArgSpec> arguments() {
        int[] out = outputShape();
        List<ArgSpec> l = new ArrayList<>();
        l.add(new ArgSpec(Arg.SRC, a, "a"));
        l.add(new ArgSpec(Arg.OTHER, b, "b"));
        if (postOps.hasSum()) {
            l.add(new ArgSpec(Arg.SUM, out, "broadcast(a, b)"));
        }
        l.add(new ArgSpec(Arg.DST, out, "broadcast(a, b)"));
        return l;
    }

    /** One operation per element of the result. */
    @Override
    public double flops() {
        return outputSize();
    }

    /**
     * The same problem with another epilogue.
     *
     * @param p the epilogue, not null
     * @return a new descriptor
     */
    public Binary withPostOps(PostOps p) {
        return new Binary(kind, a, b, p, dataType, direction);
    }

    /**
     * Equal when every field is, the shapes compared by content.
     *
     * @param o another object
     * @return whether {@code o} is the same problem
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Binary x && x.kind == kind && Arrays.equals(x.a, a) && Arrays.equals(x.b, b)
                && x.postOps.equals(postOps) && x.dataType == dataType && x.direction == direction;
    }

    /**
     * A hash of every field, the shapes by content.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        return ((kind.hashCode() * 31 + Arrays.hashCode(a)) * 31 + Arrays.hashCode(b)) * 31 + postOps.hashCode();
    }

    /** {@code op=binary kind=add a=1,64,56,56 b=1,64,1,1 [post=relu]}. */
    @Override
    public String toString() {
        return "op=binary kind=" + kind.token() + " a=" + ShapeRules.format(a) + " b=" + ShapeRules.format(b)
                + (postOps.isEmpty() ? "" : " post=" + postOps);
    }

    static Binary fromFields(Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        return new Binary(Kind.parse(OneLine.required(f, "kind")), ShapeRules.parse("a", OneLine.required(f, "a")),
                ShapeRules.parse("b", OneLine.required(f, "b")), PostOps.parse(f.get("post")), OneLine.dataType(f),
                OneLine.direction(f));
    }
}
