package dev.convcl;

/**
 * The builder methods {@link Conv2d.Builder} and {@link DeformConv2d.Builder} share, named after
 * {@code torch.nn.Conv2d}'s arguments. {@link #input} and {@link #output} have no default; the
 * others are kernel 1x1, stride 1, padding 0, dilation 1, groups 1, no bias, no post-ops, f32.
 * Setters only record values (but for {@link #input} on a depthwise preset, which derives the
 * groups and output channels and checks the multiplier as {@link Conv2d#depthwise} does); the
 * builder's {@code build()} checks them all and throws
 * {@link IllegalArgumentException} naming the field and the rule, or the setter that was never
 * called. Not thread-safe.
 *
 * <pre>{@code
 * Conv2d conv = Conv2d.builder()
 *         .input(1, 256, 32, 32).output(256)
 *         .kernel(3, 3).padding(2).dilation(2)   // a dilated 3x3 (DeepLab's atrous convolution)
 *         .groups(32)                            // ResNeXt's cardinality
 *         .bias(true).postOps(Activation.relu())
 *         .build();
 * }</pre>
 *
 * @param <B> the concrete builder
 */
public abstract class ConvBuilder<B extends ConvBuilder<B>> {
    int n = 1, c, h, w, k;
    /** Whether {@link #input} and {@link #output} were called: a 0 that was never set is not the user's c=0. */
    private boolean inputSet, outputSet;
    /**
     * The depth multiplier of a depthwise preset ({@link Conv2d#depthwise}), 0 when there is none.
     * While it is set, {@link #input} derives {@code groups = c} and {@code k = multiplier * c}
     * from the new {@code c}, each until {@link #groups} or {@link #output} sets it explicitly.
     */
    private int depthwiseMultiplier;
    /** Whether {@link #input} derives the groups, or the output channels, from a depthwise preset. */
    private boolean groupsDerived, outputDerived;
    int kh = 1, kw = 1, strideH = 1, strideW = 1, padTop, padLeft, padBottom, padRight, dilH = 1, dilW = 1, groups = 1;
    boolean bias;
    PostOps postOps = PostOps.none();
    DataType dataType = DataType.F32;

    ConvBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Makes this builder a depthwise preset: from now on {@link #input} sets {@code groups = c}
     * and {@code k = multiplier * c}, unless {@link #groups} or {@link #output} is called later
     * (an explicit value wins, and is kept by later {@link #input} calls).
     *
     * @param multiplier output channels per input channel, at least 1
     * @throws IllegalArgumentException naming the multiplier when it is below 1
     */
    void depthwisePreset(int multiplier) {
        if (multiplier < 1) {
            throw new IllegalArgumentException("depthwise multiplier=" + multiplier
                    + " must be at least 1 (output channels per input channel)");
        }
        depthwiseMultiplier = multiplier;
        groupsDerived = true;
        outputDerived = true;
    }

    /**
     * The input's shape, {@code [n, c, h, w]}. On a depthwise preset ({@link Conv2d#depthwise})
     * it also sets {@code groups = c} and {@code k = multiplier * c} for the new {@code c}, except
     * where {@link #groups} or {@link #output} was called after the preset.
     *
     * @param n batch size
     * @param c input channels
     * @param h input height in pixels
     * @param w input width in pixels
     * @return this builder
     * @throws IllegalArgumentException on a depthwise preset whose output channels are derived,
     *                                  naming the multiplier when {@code multiplier * c} does not
     *                                  fit an int (the builder is then unchanged)
     */
    public B input(int n, int c, int h, int w) {
        if (depthwiseMultiplier > 0 && outputDerived) {
            long dk = (long) depthwiseMultiplier * c;
            if (dk > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("depthwise multiplier=" + depthwiseMultiplier + " times c=" + c
                        + " is " + dk + " output channels, more than 2^31-1");
            }
            this.k = (int) dk;
            outputSet = true;
        }
        if (depthwiseMultiplier > 0 && groupsDerived) {
            this.groups = c;
        }
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        inputSet = true;
        return self();
    }

    /**
     * Output channels ({@code out_channels}). On a {@link Conv2d#depthwise} preset this value is
     * kept: a later {@code input(...)} no longer derives {@code k = multiplier * c}.
     *
     * @param k output channels
     * @return this builder
     */
    public B output(int k) {
        this.k = k;
        outputSet = true;
        outputDerived = false;
        return self();
    }

    /**
     * Kernel size ({@code kernel_size}).
     *
     * @param kh kernel height
     * @param kw kernel width
     * @return this builder
     */
    public B kernel(int kh, int kw) {
        this.kh = kh;
        this.kw = kw;
        return self();
    }

    /**
     * The same stride on both axes.
     *
     * @param s the stride
     * @return this builder
     */
    public B stride(int s) {
        return stride(s, s);
    }

    /**
     * Vertical and horizontal stride.
     *
     * @param sh vertical stride
     * @param sw horizontal stride
     * @return this builder
     */
    public B stride(int sh, int sw) {
        strideH = sh;
        strideW = sw;
        return self();
    }

    /**
     * The same zero padding on every side.
     *
     * @param p zero rows and columns added on each side
     * @return this builder
     */
    public B padding(int p) {
        return padding(p, p);
    }

    /**
     * Symmetric zero padding, PyTorch's {@code padding=(ph, pw)}.
     *
     * @param ph zero rows above and below
     * @param pw zero columns left and right
     * @return this builder
     */
    public B padding(int ph, int pw) {
        return padding(ph, pw, ph, pw);
    }

    /**
     * Zero padding per side, in the order of ONNX's {@code pads} (top, left, bottom, right).
     *
     * @param top    zero rows above
     * @param left   zero columns to the left
     * @param bottom zero rows below
     * @param right  zero columns to the right
     * @return this builder
     */
    public B padding(int top, int left, int bottom, int right) {
        padTop = top;
        padLeft = left;
        padBottom = bottom;
        padRight = right;
        return self();
    }

    /**
     * The same dilation on both axes (1 is an ordinary kernel).
     *
     * @param d the dilation
     * @return this builder
     */
    public B dilation(int d) {
        return dilation(d, d);
    }

    /**
     * Vertical and horizontal dilation.
     *
     * @param dh vertical dilation
     * @param dw horizontal dilation
     * @return this builder
     */
    public B dilation(int dh, int dw) {
        dilH = dh;
        dilW = dw;
        return self();
    }

    /**
     * Channel groups ({@code groups}): input and output channels are split into {@code g}
     * groups, each convolved separately; {@code g == c} is depthwise. On a {@link Conv2d#depthwise}
     * preset this value is kept: a later {@code input(...)} no longer derives {@code groups = c}.
     *
     * @param g the groups, dividing the input and output channels (checked by {@code build()})
     * @return this builder
     */
    public B groups(int g) {
        groups = g;
        groupsDerived = false;
        return self();
    }

    /**
     * Whether a bias of one value per output channel ({@link Arg#BIAS}) is added.
     *
     * @param b true for a bias
     * @return this builder
     */
    public B bias(boolean b) {
        bias = b;
        return self();
    }

    /**
     * The epilogue after the bias.
     *
     * @param p the chain ({@link PostOps#none()} for none; null is refused by {@code build()})
     * @return this builder
     */
    public B postOps(PostOps p) {
        postOps = p;
        return self();
    }

    /**
     * The epilogue after the bias, as steps applied in order.
     *
     * @param steps the steps, e.g. {@code new Sum(1f), Activation.relu()}
     * @return this builder
     * @throws IllegalArgumentException when the steps hold more than one {@link Sum}
     */
    public B postOps(PostOp... steps) {
        return postOps(PostOps.of(steps));
    }

    /**
     * The element type (default {@link DataType#F32}, the only one today).
     *
     * @param t the element type
     * @return this builder
     */
    public B dataType(DataType t) {
        dataType = t;
        return self();
    }

    /**
     * Throws when {@link #input} or {@link #output} was never called, naming the call, rather
     * than letting the descriptor report the unset field as {@code c=0} or {@code k=0}.
     */
    void checkSet() {
        if (!inputSet) {
            throw new IllegalArgumentException("the input shape is not set: call input(n, c, h, w) before build()");
        }
        if (!outputSet) {
            throw new IllegalArgumentException("the output channels are not set: call output(k) before build()");
        }
    }

    Window2d window() {
        return new Window2d(kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW);
    }
}
