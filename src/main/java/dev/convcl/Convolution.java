package dev.convcl;

/**
 * What ordinary and deformable 2-D convolution share: an NCHW input of {@code n x c x h x w},
 * {@code k} output channels, a {@link Window2d}, channel groups, an optional bias and the
 * post-op chain. The derived sizes (output size, channels per group, tensor shapes) are defined
 * once here, with PyTorch's formulas ({@code torch.nn.Conv2d}'s "Shape" section). Sizes are in
 * elements; shapes are row-major, outermost dimension first.
 *
 * <pre>{@code
 * Convolution conv = Conv2d.builder().input(1, 64, 56, 56).output(128).kernel(3, 3).stride(2).padding(1).build();
 * conv.outputShape();   // [1, 128, 28, 28]
 * conv.weightShape();   // [128, 64, 3, 3]
 * conv.flops();         // 2 * 1*128*28*28 * 64*3*3 = 115,605,504
 * }</pre>
 */
public sealed interface Convolution extends Operation permits Conv2d, DeformConv2d {

    /**
     * Batch size.
     *
     * @return the batch size, at least 1
     */
    int n();

    /**
     * Input channels.
     *
     * @return the input channels, at least 1
     */
    int c();

    /**
     * Input height.
     *
     * @return the input height in pixels, at least 1
     */
    int h();

    /**
     * Input width.
     *
     * @return the input width in pixels, at least 1
     */
    int w();

    /**
     * Output channels.
     *
     * @return the output channels, at least 1
     */
    int k();

    /**
     * Kernel size, stride, padding and dilation.
     *
     * @return the window
     */
    Window2d window();

    /**
     * Channel groups; divides {@code c} and {@code k} ({@code groups == c} is depthwise).
     *
     * @return the groups, at least 1
     */
    int groups();

    /**
     * Whether a bias of {@code k} values ({@link Arg#BIAS}) is added before the post-ops.
     *
     * @return true when the operation takes a {@link Arg#BIAS} tensor
     */
    boolean bias();

    /**
     * The epilogue after the bias.
     *
     * @return the chain, possibly empty
     */
    PostOps postOps();

    /**
     * Kernel height.
     *
     * @return {@code window().kh()}
     */
    default int kh() {
        return window().kh();
    }

    /**
     * Kernel width.
     *
     * @return {@code window().kw()}
     */
    default int kw() {
        return window().kw();
    }

    /**
     * Vertical stride.
     *
     * @return {@code window().strideH()}
     */
    default int strideH() {
        return window().strideH();
    }

    /**
     * Horizontal stride.
     *
     * @return {@code window().strideW()}
     */
    default int strideW() {
        return window().strideW();
    }

    /**
     * Zero rows above the input.
     *
     * @return {@code window().padTop()}
     */
    default int padTop() {
        return window().padTop();
    }

    /**
     * Zero columns left of the input.
     *
     * @return {@code window().padLeft()}
     */
    default int padLeft() {
        return window().padLeft();
    }

    /**
     * Zero rows below the input.
     *
     * @return {@code window().padBottom()}
     */
    default int padBottom() {
        return window().padBottom();
    }

    /**
     * Zero columns right of the input.
     *
     * @return {@code window().padRight()}
     */
    default int padRight() {
        return window().padRight();
    }

    /**
     * Vertical dilation.
     *
     * @return {@code window().dilH()}
     */
    default int dilH() {
        return window().dilH();
    }

    /**
     * Horizontal dilation.
     *
     * @return {@code window().dilW()}
     */
    default int dilW() {
        return window().dilW();
    }

    /**
     * Output height: {@code floor((h + pad_h + pad_h_end - dil_h*(kh-1) - 1) / stride_h) + 1}.
     *
     * @return the output height in pixels, at least 1
     */
    default int outH() {
        return window().outH(h());
    }

    /**
     * Output width: {@code floor((w + pad_w + pad_w_end - dil_w*(kw-1) - 1) / stride_w) + 1}.
     *
     * @return the output width in pixels, at least 1
     */
    default int outW() {
        return window().outW(w());
    }

    /**
     * Input channels per group.
     *
     * @return {@code c / groups}
     */
    default int cPerGroup() {
        return c() / groups();
    }

    /**
     * Output channels per group.
     *
     * @return {@code k / groups}
     */
    default int kPerGroup() {
        return k() / groups();
    }

    /**
     * Whether every group has exactly one input channel (depthwise, with multiplier {@code k / c}).
     *
     * @return true when {@code groups == c}
     */
    default boolean isDepthwise() {
        return groups() == c();
    }

    /**
     * Whether this is a deformable convolution.
     *
     * @return true for {@link DeformConv2d}
     */
    default boolean isDeformable() {
        return this instanceof DeformConv2d;
    }

    /**
     * {@code [n, c, h, w]}.
     *
     * @return a new array {@code [n, c, h, w]}
     */
    default int[] inputShape() {
        return new int[] {n(), c(), h(), w()};
    }

    /**
     * {@code [k, c/groups, kh, kw]}.
     *
     * @return a new array {@code [k, c/groups, kh, kw]}
     */
    default int[] weightShape() {
        return new int[] {k(), cPerGroup(), kh(), kw()};
    }

    /**
     * {@code [k]}.
     *
     * @return a new array {@code [k]}
     */
    default int[] biasShape() {
        return new int[] {k()};
    }

    /**
     * {@code [n, k, outH, outW]}.
     *
     * @return a new array {@code [n, k, outH, outW]}
     */
    default int[] outputShape() {
        return new int[] {n(), k(), outH(), outW()};
    }

    /**
     * Input elements.
     *
     * @return {@code n * c * h * w}
     */
    default long inputSize() {
        return (long) n() * c() * h() * w();
    }

    /**
     * Weight elements.
     *
     * @return {@code k * (c/groups) * kh * kw}
     */
    default long weightSize() {
        return (long) k() * cPerGroup() * kh() * kw();
    }

    /**
     * Output elements.
     *
     * @return {@code n * k * outH * outW}
     */
    default long outputSize() {
        return (long) n() * k() * outH() * outW();
    }

    @Override
    default double flops() {
        return 2.0 * n() * k() * outH() * outW() * (double) cPerGroup() * kh() * kw();
    }

    /**
     * The same problem with another batch size.
     *
     * @param batch the batch size, at least 1
     * @return a new descriptor
     * @throws IllegalArgumentException when {@code batch} breaks a rule (below 1, or a tensor past
     *                                  32-bit indexing)
     */
    Convolution withBatch(int batch);

    /**
     * The same problem with or without a bias.
     *
     * @param bias whether a {@link Arg#BIAS} tensor of {@code k} values is added
     * @return a new descriptor
     */
    Convolution withBias(boolean bias);

    /**
     * The same problem with another epilogue.
     *
     * @param postOps the chain, not null ({@link PostOps#none()} for none)
     * @return a new descriptor
     * @throws IllegalArgumentException when {@code postOps} is null
     */
    Convolution withPostOps(PostOps postOps);

    /**
     * The same problem as an ordinary convolution: a deformable one drops its offsets and mask
     * (what it computes with all offsets zero and all mask values one).
     *
     * @return this, or a new {@link Conv2d}
     */
    Conv2d asConv2d();
}
