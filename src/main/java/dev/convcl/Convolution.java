package dev.convcl;

/**
 * What ordinary and deformable 2-D convolution share: an NCHW input of {@code n x c x h x w},
 * {@code k} output channels, a {@link Window2d}, channel groups, an optional bias and the
 * post-op chain. The derived sizes (output size, channels per group, tensor shapes) are defined
 * once here.
 */
public sealed interface Convolution extends Operation permits Conv2d, DeformConv2d {

    /** Batch size. */
    int n();

    /** Input channels. */
    int c();

    /** Input height. */
    int h();

    /** Input width. */
    int w();

    /** Output channels. */
    int k();

    /** Kernel size, stride, padding and dilation. */
    Window2d window();

    /** Channel groups; divides {@code c} and {@code k} ({@code groups == c} is depthwise). */
    int groups();

    /** Whether a bias of {@code k} values ({@link Arg#BIAS}) is added before the post-ops. */
    boolean bias();

    /** The epilogue after the bias. */
    PostOps postOps();

    /** Kernel height. */
    default int kh() {
        return window().kh();
    }

    /** Kernel width. */
    default int kw() {
        return window().kw();
    }

    /** Vertical stride. */
    default int strideH() {
        return window().strideH();
    }

    /** Horizontal stride. */
    default int strideW() {
        return window().strideW();
    }

    /** Zero rows above the input. */
    default int padTop() {
        return window().padTop();
    }

    /** Zero columns left of the input. */
    default int padLeft() {
        return window().padLeft();
    }

    /** Zero rows below the input. */
    default int padBottom() {
        return window().padBottom();
    }

    /** Zero columns right of the input. */
    default int padRight() {
        return window().padRight();
    }

    /** Vertical dilation. */
    default int dilH() {
        return window().dilH();
    }

    /** Horizontal dilation. */
    default int dilW() {
        return window().dilW();
    }

    /** Output height: {@code floor((h + pad_h + pad_h_end - dil_h*(kh-1) - 1) / stride_h) + 1}. */
    default int outH() {
        return window().outH(h());
    }

    /** Output width: {@code floor((w + pad_w + pad_w_end - dil_w*(kw-1) - 1) / stride_w) + 1}. */
    default int outW() {
        return window().outW(w());
    }

    /** Input channels per group. */
    default int cPerGroup() {
        return c() / groups();
    }

    /** Output channels per group. */
    default int kPerGroup() {
        return k() / groups();
    }

    /** Whether every group has exactly one input channel (depthwise, with multiplier {@code k / c}). */
    default boolean isDepthwise() {
        return groups() == c();
    }

    /** Whether this is a deformable convolution. */
    default boolean isDeformable() {
        return this instanceof DeformConv2d;
    }

    /** {@code [n, c, h, w]}. */
    default int[] inputShape() {
        return new int[] {n(), c(), h(), w()};
    }

    /** {@code [k, c/groups, kh, kw]}. */
    default int[] weightShape() {
        return new int[] {k(), cPerGroup(), kh(), kw()};
    }

    /** {@code [k]}. */
    default int[] biasShape() {
        return new int[] {k()};
    }

    /** {@code [n, k, outH, outW]}. */
    default int[] outputShape() {
        return new int[] {n(), k(), outH(), outW()};
    }

    /** Input elements. */
    default long inputSize() {
        return (long) n() * c() * h() * w();
    }

    /** Weight elements. */
    default long weightSize() {
        return (long) k() * cPerGroup() * kh() * kw();
    }

    /** Output elements. */
    default long outputSize() {
        return (long) n() * k() * outH() * outW();
    }

    @Override
    default double flops() {
        return 2.0 * n() * k() * outH() * outW() * (double) cPerGroup() * kh() * kw();
    }

    /** The same problem with batch size {@code batch}. */
    Convolution withBatch(int batch);

    /** The same problem with another bias flag. */
    Convolution withBias(boolean bias);

    /** The same problem with another epilogue. */
    Convolution withPostOps(PostOps postOps);

    /** The same problem as an ordinary convolution (a deformable one drops its offsets and mask). */
    Conv2d asConv2d();
}
