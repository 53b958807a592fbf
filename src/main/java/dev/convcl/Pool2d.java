package dev.convcl;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * 2-D max or average pooling of an NCHW float32 tensor with the semantics of
 * {@code torch.nn.functional.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)}
 * and {@code avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)};
 * padding may differ before and after an axis (ONNX's {@code pads}).
 *
 * <p>Output height (width likewise), PyTorch's rule: {@code floor((h + pad_h + pad_h_end - dil_h*(kh-1) - 1
 * + (ceil ? stride_h-1 : 0)) / stride_h) + 1}, then, in ceil mode, one less when the last window
 * would start at or past {@code h + pad_h} (every window starts inside the input or the leading
 * padding). Window {@code oy} covers rows {@code oy*stride_h - pad_h + i*dil_h}.
 *
 * <ul>
 *   <li>max: the largest value among the window's rows and columns inside the input (padding never
 *       wins); a NaN in the window gives NaN, as PyTorch does.</li>
 *   <li>avg (dilation 1): the sum of the window's values inside the input divided by, with
 *       {@code count_include_pad}, the window's size clipped to the padded input
 *       ({@code [-pad_h, h + pad_h_end)}), else the number of its elements inside the input.</li>
 * </ul>
 *
 * <p>Global average pooling ({@code adaptive_avg_pool2d(x, 1)}) is {@link #globalAverage}.
 * Arguments ({@link #arguments()}): {@link Arg#SRC} {@code [n, c, h, w]} and {@link Arg#DST}
 * {@code [n, c, outH, outW]}.
 *
 * <p>Rules (PyTorch's): every padding at most half the kernel size ({@code pad <= k/2}); average
 * pooling has dilation 1; {@code count_include_pad} only with average pooling; an output of at
 * least 1x1. One-line form: {@code op=pool2d kind=max|avg n= c= h= w= kh= kw= stride= pad= dil=
 * ceil=0|1 cip=0|1} ({@code cip} defaults to 1 for avg, as PyTorch's {@code count_include_pad}).
 *
 * @param kind             max or average
 * @param n                batch size, at least 1
 * @param c                channels, at least 1
 * @param h                input height, at least 1
 * @param w                input width, at least 1
 * @param window           kernel size, stride, padding and dilation
 * @param ceilMode         PyTorch's {@code ceil_mode}
 * @param countIncludePad  PyTorch's {@code count_include_pad} (average pooling only)
 * @param dataType         the element type
 * @param direction        the pass
 */
public record Pool2d(Kind kind, int n, int c, int h, int w, Window2d window, boolean ceilMode, boolean countIncludePad,
                     DataType dataType, Direction direction) implements Operation {

    static final Set<String> KEYS = Set.of("op", "kind", "n", "c", "h", "w", "kh", "kw", "stride", "pad", "dil", "ceil",
            "cip", "dt", "dir");

    /** Max or average. */
    public enum Kind {
        /** The window's largest value. */
        MAX,
        /** The window's mean. */
        AVG;

        /**
         * The name in the one-line form.
         *
         * @return {@code max} or {@code avg}
         */
        public String token() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind parse(String s) {
            return OneLine.constant(values(), Kind::token, s, "kind='" + s + "'");
        }
    }

    /**
     * Checks every rule (see the class comment).
     *
     * @param kind            max or average, not null
     * @param n               batch size, at least 1
     * @param c               channels, at least 1
     * @param h               input height, at least 1
     * @param w               input width, at least 1
     * @param window          kernel size, stride, padding (each at most half the kernel size) and
     *                        dilation (1 for average pooling), not null
     * @param ceilMode        PyTorch's {@code ceil_mode}
     * @param countIncludePad PyTorch's {@code count_include_pad}; false for max pooling
     * @param dataType        the element type, not null
     * @param direction       the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g.
     *                                  {@code pad_h=2 must be at most half the kernel size, kh/2=1}
     */
    public Pool2d {
        if (kind == null || window == null) {
            throw new IllegalArgumentException("kind and window must not be null");
        }
        OneLine.positiveNchw(n, c, h, w);
        ShapeRules.notNull(PostOps.none(), dataType, direction);
        halfKernel("pad_h", window.padTop(), "kh", window.kh());
        halfKernel("pad_h_end", window.padBottom(), "kh", window.kh());
        halfKernel("pad_w", window.padLeft(), "kw", window.kw());
        halfKernel("pad_w_end", window.padRight(), "kw", window.kw());
        if (kind == Kind.AVG && (window.dilH() != 1 || window.dilW() != 1)) {
            throw new IllegalArgumentException("dil=" + Window2d.pair(window.dilH(), window.dilW())
                    + " must be 1 for average pooling");
        }
        if (kind == Kind.MAX && countIncludePad) {
            throw new IllegalArgumentException("cip=1 (count_include_pad) applies to average pooling only");
        }
        OneLine.fits("input", n, c, h, w);
        long oh = outSize(h, window.kh(), window.padTop(), window.padBottom(), window.strideH(), window.dilH(), ceilMode);
        long ow = outSize(w, window.kw(), window.padLeft(), window.padRight(), window.strideW(), window.dilW(), ceilMode);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("input " + h + "x" + w + " with kernel " + window.kh() + "x" + window.kw()
                    + ", stride " + Window2d.pair(window.strideH(), window.strideW()) + ", dilation "
                    + Window2d.pair(window.dilH(), window.dilW()) + " and padding " + window.padTop() + ","
                    + window.padLeft() + "," + window.padBottom() + "," + window.padRight() + " gives an output of " + oh
                    + "x" + ow + "; it must be at least 1x1");
        }
        // padding and ceil mode can make the output larger than the input
        OneLine.fits("output", n, c, oh, ow);
    }

    /**
     * A forward float32 descriptor.
     *
     * @param kind            max or average, not null
     * @param n               batch size, at least 1
     * @param c               channels, at least 1
     * @param h               input height, at least 1
     * @param w               input width, at least 1
     * @param window          kernel size, stride, padding and dilation, not null
     * @param ceilMode        PyTorch's {@code ceil_mode}
     * @param countIncludePad PyTorch's {@code count_include_pad}; false for max pooling
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public Pool2d(Kind kind, int n, int c, int h, int w, Window2d window, boolean ceilMode, boolean countIncludePad) {
        this(kind, n, c, h, w, window, ceilMode, countIncludePad, DataType.F32, Direction.FORWARD);
    }

    /**
     * {@code max_pool2d(x, kernel, stride, padding)}: square window, dilation 1, floor mode.
     *
     * @param n       batch size
     * @param c       channels
     * @param h       input height
     * @param w       input width
     * @param kernel  kernel height and width
     * @param stride  stride on both axes
     * @param padding padding on every side, at most {@code kernel / 2}
     * @return the descriptor
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public static Pool2d max(int n, int c, int h, int w, int kernel, int stride, int padding) {
        return new Pool2d(Kind.MAX, n, c, h, w, Window2d.of(kernel, kernel, stride, stride, padding, padding, 1, 1), false,
                false);
    }

    /**
     * {@code avg_pool2d(x, kernel, stride, padding)}: square window, floor mode, count_include_pad.
     *
     * @param n       batch size
     * @param c       channels
     * @param h       input height
     * @param w       input width
     * @param kernel  kernel height and width
     * @param stride  stride on both axes
     * @param padding padding on every side, at most {@code kernel / 2}
     * @return the descriptor
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public static Pool2d average(int n, int c, int h, int w, int kernel, int stride, int padding) {
        return new Pool2d(Kind.AVG, n, c, h, w, Window2d.of(kernel, kernel, stride, stride, padding, padding, 1, 1), false,
                true);
    }

    /**
     * Global average pooling, {@code adaptive_avg_pool2d(x, 1)}: the mean of each plane.
     *
     * @param n batch size
     * @param c channels
     * @param h input height
     * @param w input width
     * @return the descriptor, output {@code [n, c, 1, 1]}
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public static Pool2d globalAverage(int n, int c, int h, int w) {
        return new Pool2d(Kind.AVG, n, c, h, w, Window2d.of(h, w, 1, 1, 0, 0, 1, 1), false, true);
    }

    private static void halfKernel(String field, int pad, String kField, int k) {
        if (pad > k / 2) {
            throw new IllegalArgumentException(field + "=" + pad + " must be at most half the kernel size, " + kField + "/2="
                    + k / 2);
        }
    }

    /** PyTorch's {@code pooling_output_shape_pad_lr}. */
    static long outSize(long in, int k, int padBefore, int padAfter, int stride, int dil, boolean ceil) {
        long num = in + padBefore + padAfter - (long) dil * (k - 1) - 1 + (ceil ? stride - 1 : 0);
        long out = Math.floorDiv(num, stride) + 1;
        if (ceil && (out - 1) * stride >= in + padBefore) {
            out--;
        }
        return out;
    }

    @Override
    public String name() {
        return "pool2d";
    }

    /**
     * Output height (see the class comment).
     *
     * @return the output height, at least 1
     */
    public int outH() {
        return (int) outSize(h, window.kh(), window.padTop(), window.padBottom(), window.strideH(), window.dilH(), ceilMode);
    }

    /**
     * Output width (see the class comment).
     *
     * @return the output width, at least 1
     */
    public int outW() {
        return (int) outSize(w, window.kw(), window.padLeft(), window.padRight(), window.strideW(), window.dilW(), ceilMode);
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

    /**
     * Whether the window covers the whole input plane with no padding: global pooling.
     *
     * @return true for a 1x1 output of an unpadded window of the input's size
     */
    public boolean isGlobal() {
        return window.kh() == h && window.kw() == w && outH() == 1 && outW() == 1 && window.padTop() == 0
                && window.padLeft() == 0 && window.padBottom() == 0 && window.padRight() == 0;
    }

    @Override
    public List<ArgSpec> arguments() {
        return ShapeRules.srcDst(inputShape(), "[N, C, H, W]", outputShape(), "[N, C, OH, OW]");
    }

    /** One comparison or addition per window element and output. */
    @Override
    public double flops() {
        return (double) n * c * outH() * outW() * window.kh() * window.kw();
    }

    /** {@code op=pool2d kind=max n=1 c=64 h=112 w=112 kh=3 kw=3 stride=2 pad=1 dil=1 ceil=0 cip=0}. */
    @Override
    public String toString() {
        return "op=pool2d kind=" + kind.token() + " n=" + n + " c=" + c + " h=" + h + " w=" + w + " " + window.oneLine()
                + " ceil=" + (ceilMode ? 1 : 0) + " cip=" + (countIncludePad ? 1 : 0);
    }

    static Pool2d fromFields(Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        Kind kind = Kind.parse(OneLine.required(f, "kind"));
        boolean cip = f.containsKey("cip") ? OneLine.flag(f, "cip") : kind == Kind.AVG;
        int[] s = OneLine.nchw(f);
        return new Pool2d(kind, s[0], s[1], s[2], s[3], OneLine.window(f), OneLine.flag(f, "ceil"), cip,
                OneLine.dataType(f), OneLine.direction(f));
    }
}
