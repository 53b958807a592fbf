package dev.convcl;

import dev.convcl.text.FieldsException;

/**
 * The geometry of a 2-D sliding window, shared by convolutions and pooling: kernel size, stride,
 * zero padding before and after each spatial axis, and dilation (1-based, PyTorch's meaning:
 * 1 is an ordinary window). Padding may differ before and after an axis, as ONNX's {@code pads}
 * allow; PyTorch's symmetric padding has {@code padTop == padBottom} and {@code padLeft == padRight}.
 *
 * <p>The constructor checks every rule and throws {@link IllegalArgumentException} naming the
 * field, its value and the rule. Fields are named in messages as {@code kh}, {@code kw},
 * {@code stride_h}, {@code stride_w}, {@code pad_h}, {@code pad_w} (before), {@code pad_h_end},
 * {@code pad_w_end} (after), {@code dil_h} and {@code dil_w}.
 *
 * <pre>{@code
 * Window2d w = Window2d.of(3, 3, 2, 2, 1, 1, 1, 1);    // PyTorch: kernel_size=3, stride=2, padding=1
 * w.outH(224);                                         // floor((224 + 2 - 3) / 2) + 1 = 112
 * Window2d same = new Window2d(3, 3, 1, 1, 0, 0, 2, 2, 1, 1);   // ONNX pads=[0, 0, 2, 2]
 * }</pre>
 *
 * @param kh        kernel height, at least 1
 * @param kw        kernel width, at least 1
 * @param strideH   vertical stride, at least 1
 * @param strideW   horizontal stride, at least 1
 * @param padTop    zero rows above the input, at least 0
 * @param padLeft   zero columns left of the input, at least 0
 * @param padBottom zero rows below the input, at least 0
 * @param padRight  zero columns right of the input, at least 0
 * @param dilH      vertical dilation, at least 1
 * @param dilW      horizontal dilation, at least 1
 */
public record Window2d(int kh, int kw, int strideH, int strideW, int padTop, int padLeft, int padBottom,
                       int padRight, int dilH, int dilW) {

    /**
     * Checks every field; see the class comment for the names used in messages.
     *
     * @param kh        kernel height, at least 1
     * @param kw        kernel width, at least 1
     * @param strideH   vertical stride, at least 1
     * @param strideW   horizontal stride, at least 1
     * @param padTop    zero rows above the input, at least 0
     * @param padLeft   zero columns left of the input, at least 0
     * @param padBottom zero rows below the input, at least 0
     * @param padRight  zero columns right of the input, at least 0
     * @param dilH      vertical dilation, at least 1
     * @param dilW      horizontal dilation, at least 1
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g.
     *                                  {@code stride_h=0 must be at least 1}
     */
    public Window2d {
        positive("kh", kh);
        positive("kw", kw);
        positive("stride_h", strideH);
        positive("stride_w", strideW);
        nonNegative("pad_h", padTop);
        nonNegative("pad_w", padLeft);
        nonNegative("pad_h_end", padBottom);
        nonNegative("pad_w_end", padRight);
        positive("dil_h", dilH);
        positive("dil_w", dilW);
    }

    /**
     * A window with symmetric padding, PyTorch's {@code conv2d(stride, padding, dilation)}.
     *
     * @param kh      kernel height, at least 1
     * @param kw      kernel width, at least 1
     * @param strideH vertical stride, at least 1
     * @param strideW horizontal stride, at least 1
     * @param padH    zero rows above and below the input, at least 0
     * @param padW    zero columns left and right of the input, at least 0
     * @param dilH    vertical dilation, at least 1
     * @param dilW    horizontal dilation, at least 1
     * @return the window
     * @throws IllegalArgumentException when a value breaks a rule, naming it
     */
    public static Window2d of(int kh, int kw, int strideH, int strideW, int padH, int padW, int dilH, int dilW) {
        return new Window2d(kh, kw, strideH, strideW, padH, padW, padH, padW, dilH, dilW);
    }

    /**
     * Whether the padding after each axis equals the padding before it (PyTorch's padding).
     *
     * @return true when {@code padTop == padBottom} and {@code padLeft == padRight}
     */
    public boolean symmetric() {
        return padTop == padBottom && padLeft == padRight;
    }

    /**
     * Rows the dilated kernel spans.
     *
     * @return {@code dil_h * (kh - 1) + 1}
     */
    public long spanH() {
        return (long) dilH * (kh - 1) + 1;
    }

    /**
     * Columns the dilated kernel spans.
     *
     * @return {@code dil_w * (kw - 1) + 1}
     */
    public long spanW() {
        return (long) dilW * (kw - 1) + 1;
    }

    /**
     * Height of the padded input.
     *
     * @param h the input height in pixels
     * @return {@code h + pad_h + pad_h_end}
     */
    public long paddedH(int h) {
        return (long) h + padTop + padBottom;
    }

    /**
     * Width of the padded input.
     *
     * @param w the input width in pixels
     * @return {@code w + pad_w + pad_w_end}
     */
    public long paddedW(int w) {
        return (long) w + padLeft + padRight;
    }

    /**
     * Output height for an input height, as {@code torch.nn.Conv2d} computes it. Meaningful when
     * the window fits ({@link #checkFits}).
     *
     * @param h the input height in pixels
     * @return {@code floor((h + pad_h + pad_h_end - span_h) / stride_h) + 1}
     */
    public int outH(int h) {
        return (int) ((paddedH(h) - spanH()) / strideH + 1);
    }

    /**
     * Output width for an input width, as {@code torch.nn.Conv2d} computes it. Meaningful when
     * the window fits ({@link #checkFits}).
     *
     * @param w the input width in pixels
     * @return {@code floor((w + pad_w + pad_w_end - span_w) / stride_w) + 1}
     */
    public int outW(int w) {
        return (int) ((paddedW(w) - spanW()) / strideW + 1);
    }

    /**
     * Checks that the window fits an input of {@code h x w}: padded sizes within 32-bit indexing and
     * the dilated kernel no larger than the padded input.
     *
     * @param h the input height in pixels
     * @param w the input width in pixels
     * @throws IllegalArgumentException naming the sizes and the rule
     */
    public void checkFits(int h, int w) {
        if (paddedH(h) > Integer.MAX_VALUE) {
            throw new FieldsException("padded input height h+pad_h+pad_h_end=" + paddedH(h) + " (h=" + h
                    + ", pad_h=" + padTop + ", pad_h_end=" + padBottom + ") exceeds 2^31-1, the limit of 32-bit indexing",
                    "h", "pad_h", "pad_h_end");
        }
        if (paddedW(w) > Integer.MAX_VALUE) {
            throw new FieldsException("padded input width w+pad_w+pad_w_end=" + paddedW(w) + " (w=" + w
                    + ", pad_w=" + padLeft + ", pad_w_end=" + padRight + ") exceeds 2^31-1, the limit of 32-bit indexing",
                    "w", "pad_w", "pad_w_end");
        }
        if (spanH() > paddedH(h)) {
            throw new FieldsException("kernel height kh=" + kh + " at dil_h=" + dilH + " spans " + spanH()
                    + " rows, more than the padded input height h+pad_h+pad_h_end=" + paddedH(h),
                    "kh", "dil_h", "h", "pad_h", "pad_h_end");
        }
        if (spanW() > paddedW(w)) {
            throw new FieldsException("kernel width kw=" + kw + " at dil_w=" + dilW + " spans " + spanW()
                    + " columns, more than the padded input width w+pad_w+pad_w_end=" + paddedW(w),
                    "kw", "dil_w", "w", "pad_w", "pad_w_end");
        }
    }

    /**
     * The window's fields in the one-line form: {@code kh=3 kw=3 stride=1 pad=1 dil=1}, where
     * stride, pad and dil print one value when both axes agree, else {@code h,w}; asymmetric padding
     * prints {@code pad=top,left,bottom,right} (ONNX's order).
     */
    String oneLine() {
        return "kh=" + kh + " kw=" + kw + " stride=" + pair(strideH, strideW) + " pad=" + pads() + " dil=" + pair(dilH, dilW);
    }

    private String pads() {
        if (symmetric()) {
            return pair(padTop, padLeft);
        }
        return padTop + "," + padLeft + "," + padBottom + "," + padRight;
    }

    static String pair(int a, int b) {
        return a == b ? Integer.toString(a) : a + "," + b;
    }

    private static void positive(String field, int v) {
        if (v < 1) {
            throw new dev.convcl.text.FieldException(field, null, v, "must be at least 1");
        }
    }

    private static void nonNegative(String field, int v) {
        if (v < 0) {
            throw new dev.convcl.text.FieldException(field, null, v, "must not be negative");
        }
    }
}
