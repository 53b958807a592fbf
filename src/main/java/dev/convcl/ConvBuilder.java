package dev.convcl;

/**
 * The builder methods {@link Conv2d.Builder} and {@link DeformConv2d.Builder} share. Defaults:
 * n 1, kernel 1x1, stride 1, padding 0, dilation 1, groups 1, no bias, no post-ops, f32.
 *
 * @param <B> the concrete builder
 */
public abstract class ConvBuilder<B extends ConvBuilder<B>> {
    int n = 1, c, h, w, k;
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

    /** The input's batch, channels, height and width. */
    public B input(int n, int c, int h, int w) {
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        return self();
    }

    /** Output channels. */
    public B output(int k) {
        this.k = k;
        return self();
    }

    /** Kernel height and width. */
    public B kernel(int kh, int kw) {
        this.kh = kh;
        this.kw = kw;
        return self();
    }

    /** The same stride on both axes. */
    public B stride(int s) {
        return stride(s, s);
    }

    /** Vertical and horizontal stride. */
    public B stride(int sh, int sw) {
        strideH = sh;
        strideW = sw;
        return self();
    }

    /** The same zero padding on every side. */
    public B padding(int p) {
        return padding(p, p);
    }

    /** Symmetric zero padding: {@code ph} rows above and below, {@code pw} columns left and right. */
    public B padding(int ph, int pw) {
        return padding(ph, pw, ph, pw);
    }

    /** Zero padding per side, in ONNX's order (top, left, bottom, right). */
    public B padding(int top, int left, int bottom, int right) {
        padTop = top;
        padLeft = left;
        padBottom = bottom;
        padRight = right;
        return self();
    }

    /** The same dilation on both axes. */
    public B dilation(int d) {
        return dilation(d, d);
    }

    /** Vertical and horizontal dilation. */
    public B dilation(int dh, int dw) {
        dilH = dh;
        dilW = dw;
        return self();
    }

    /** Channel groups. */
    public B groups(int g) {
        groups = g;
        return self();
    }

    /** Whether a bias is added. */
    public B bias(boolean b) {
        bias = b;
        return self();
    }

    /** The epilogue after the bias. */
    public B postOps(PostOps p) {
        postOps = p;
        return self();
    }

    /** The epilogue after the bias, as steps. */
    public B postOps(PostOp... steps) {
        return postOps(PostOps.of(steps));
    }

    /** The element type (default {@link DataType#F32}). */
    public B dataType(DataType t) {
        dataType = t;
        return self();
    }

    Window2d window() {
        return new Window2d(kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW);
    }
}
