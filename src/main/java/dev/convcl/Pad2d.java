package dev.convcl;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Constant padding of the two spatial axes of an NCHW float32 tensor,
 * {@code torch.nn.functional.pad(x, (left, right, top, bottom), value=value)} (ONNX {@code Pad} in
 * constant mode): the output is {@code [n, c, top + h + bottom, left + w + right]}, the input in
 * its interior, {@code value} everywhere else. A zero padding before a convolution or a pooling
 * is better folded into that layer's window; this operation is for the padding that cannot be.
 *
 * <p>Arguments ({@link #arguments()}): {@link Arg#SRC} {@code [n, c, h, w]} and {@link Arg#DST}
 * {@code [n, c, top + h + bottom, left + w + right]}. One-line form:
 * {@code op=pad2d n= c= h= w= pad=top,left,bottom,right value=}.
 *
 * @param n         batch size, at least 1
 * @param c         channels, at least 1
 * @param h         input height, at least 1
 * @param w         input width, at least 1
 * @param top       rows added above, at least 0
 * @param left      columns added on the left, at least 0
 * @param bottom    rows added below, at least 0
 * @param right     columns added on the right, at least 0
 * @param value     the added elements' value (any float, NaN and infinities included)
 * @param dataType  the element type
 * @param direction the pass
 */
public record Pad2d(int n, int c, int h, int w, int top, int left, int bottom, int right, float value,
                    DataType dataType, Direction direction) implements Operation {

    static final Set<String> KEYS = Set.of("op", "n", "c", "h", "w", "pad", "value", "dt", "dir");

    /**
     * Checks every rule.
     *
     * @param n         batch size, at least 1
     * @param c         channels, at least 1
     * @param h         input height, at least 1
     * @param w         input width, at least 1
     * @param top       rows added above, at least 0
     * @param left      columns added on the left, at least 0
     * @param bottom    rows added below, at least 0
     * @param right     columns added on the right, at least 0
     * @param value     the added elements' value
     * @param dataType  the element type, not null
     * @param direction the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g.
     *                                  {@code pad_h=-1 must not be negative}; also when the output
     *                                  would have 2^31 elements or more
     */
    public Pad2d {
        OneLine.positiveNchw(n, c, h, w);
        nonNegative("pad_h", top);
        nonNegative("pad_w", left);
        nonNegative("pad_h_end", bottom);
        nonNegative("pad_w_end", right);
        ShapeRules.notNull(PostOps.none(), dataType, direction);
        OneLine.fits("output", n, c, (long) top + h + bottom, (long) left + w + right);
    }

    /**
     * A forward float32 descriptor.
     *
     * @param n      batch size, at least 1
     * @param c      channels, at least 1
     * @param h      input height, at least 1
     * @param w      input width, at least 1
     * @param top    rows added above, at least 0
     * @param left   columns added on the left, at least 0
     * @param bottom rows added below, at least 0
     * @param right  columns added on the right, at least 0
     * @param value  the added elements' value
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public Pad2d(int n, int c, int h, int w, int top, int left, int bottom, int right, float value) {
        this(n, c, h, w, top, left, bottom, right, value, DataType.F32, Direction.FORWARD);
    }

    private static void nonNegative(String field, int v) {
        if (v < 0) {
            throw new IllegalArgumentException(field + "=" + v + " must not be negative");
        }
    }

    @Override
    public String name() {
        return "pad2d";
    }

    /**
     * Output height.
     *
     * @return {@code top + h + bottom}
     */
    public int outH() {
        return top + h + bottom;
    }

    /**
     * Output width.
     *
     * @return {@code left + w + right}
     */
    public int outW() {
        return left + w + right;
    }

    /**
     * The input's shape.
     *
     * @return {@code [n, c, h, w]}
     */
    public int[] inputShape() {
        return new int[] {n, c, h, w};
    }

    /**
     * The output's shape.
     *
     * @return {@code [n, c, outH, outW]}
     */
    public int[] outputShape() {
        return new int[] {n, c, outH(), outW()};
    }

    @Override
    public List<ArgSpec> arguments() {
        return ShapeRules.srcDst(inputShape(), "[N, C, H, W]", outputShape(), "[N, C, top+H+bottom, left+W+right]");
    }

    /**
     * Equal when every field is, the value compared bit for bit (so NaN equals NaN).
     *
     * @param o another object
     * @return whether {@code o} is the same problem
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Pad2d p && p.n == n && p.c == c && p.h == h && p.w == w && p.top == top && p.left == left
                && p.bottom == bottom && p.right == right && Float.floatToIntBits(p.value) == Float.floatToIntBits(value)
                && p.dataType == dataType && p.direction == direction;
    }

    /**
     * A hash of every field.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        return java.util.Objects.hash(n, c, h, w, top, left, bottom, right, Float.floatToIntBits(value));
    }

    /** {@code op=pad2d n=1 c=3 h=224 w=224 pad=0,0,1,1 value=0.0}. */
    @Override
    public String toString() {
        return "op=pad2d n=" + n + " c=" + c + " h=" + h + " w=" + w + " pad=" + top + "," + left + "," + bottom + ","
                + right + " value=" + value;
    }

    static Pad2d fromFields(Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        int[] pad = OneLine.pads(f);
        float value = OneLine.floatField(f, "value", 0f);
        int[] s = OneLine.nchw(f);
        return new Pad2d(s[0], s[1], s[2], s[3], pad[0], pad[1], pad[2], pad[3], value, OneLine.dataType(f),
                OneLine.direction(f));
    }
}
