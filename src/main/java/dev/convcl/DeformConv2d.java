package dev.convcl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Deformable 2-D convolution with the semantics of {@code torchvision.ops.deform_conv2d(input,
 * offset, weight, bias, stride, padding, dilation, mask)}: v1 without a mask, v2 (DCNv2) with one,
 * followed by the {@link PostOps} chain; NCHW float32.
 *
 * <p>Each kernel point (i, j) of output pixel (oy, ox) samples the input at
 * {@code y = oy*stride_h - pad_h + i*dil_h + dy}, {@code x = ox*stride_w - pad_w + j*dil_w + dx},
 * where {@code (dy, dx)} is the offset pair of kernel point {@code i*kw + j} in the input channel's
 * offset group (channel {@code c} belongs to group {@code c / (C / offset_groups)}). The sample is
 * bilinear, each of the four neighbours outside the image counting as zero; the whole sample is
 * zero unless {@code -1 < y < h} and {@code -1 < x < w}, so an infinite offset gives a zero sample.
 * A NaN offset or mask value makes every output that uses the sample NaN. The sample is multiplied
 * by the mask value as given (no sigmoid).
 *
 * <p>Arguments ({@link #arguments()}): {@link Arg#SRC} {@code [n, c, h, w]}, {@link Arg#OFFSET}
 * {@code [n, 2*og*kh*kw, outH, outW]}, {@link Arg#MASK} {@code [n, og*kh*kw, outH, outW]} when
 * {@link #mask()}, {@link Arg#WEIGHTS} {@code [k, c/groups, kh, kw]}, {@link Arg#BIAS} {@code [k]}
 * when {@link #bias()}, {@link Arg#SUM} when a post-op sums, and {@link Arg#DST}
 * {@code [n, k, outH, outW]}.
 *
 * <p>One-line form: as {@link Conv2d}'s with {@code op=deform2d} and {@code og=} (offset groups,
 * default 1) and {@code mask=0|1}.
 *
 * <pre>{@code
 * // DCNv2's 3x3 layer: offsets and mask come from another convolution of the same input
 * DeformConv2d dcn = DeformConv2d.builder().input(1, 64, 64, 64).output(64).kernel(3, 3).padding(1)
 *         .mask(true).build();
 * dcn.offsetShape();   // [1, 18, 64, 64]: (dy, dx) for each of the 9 kernel points
 * dcn.maskShape();     // [1, 9, 64, 64]
 * }</pre>
 *
 * @param n            batch size, at least 1
 * @param c            input channels, at least 1
 * @param h            input height, at least 1
 * @param w            input width, at least 1
 * @param k            output channels, at least 1
 * @param window       kernel size, stride, padding and dilation
 * @param groups       channel groups, dividing c and k
 * @param offsetGroups offset groups, dividing c
 * @param mask         whether a modulation mask is given (DCNv2)
 * @param bias         whether a bias of k values is added
 * @param postOps      the epilogue after the bias
 * @param dataType     the element type
 * @param direction    the pass
 */
public record DeformConv2d(int n, int c, int h, int w, int k, Window2d window, int groups, int offsetGroups,
                           boolean mask, boolean bias, PostOps postOps, DataType dataType, Direction direction)
        implements Convolution {

    static final Set<String> KEYS = Set.of("op", "n", "c", "h", "w", "k", "kh", "kw", "stride", "pad", "dil", "groups",
            "og", "mask", "bias", "relu", "post", "dt", "dir");

    /**
     * Checks every rule; see the class comment and {@link Conv2d#Conv2d}.
     *
     * @param n            batch size, at least 1
     * @param c            input channels, at least 1
     * @param h            input height, at least 1
     * @param w            input width, at least 1
     * @param k            output channels, at least 1
     * @param window       kernel size, stride, padding and dilation; the dilated kernel must fit
     *                     the padded input
     * @param groups       channel groups, dividing c and k
     * @param offsetGroups offset groups, dividing c
     * @param mask         whether a modulation mask is given (DCNv2)
     * @param bias         whether a bias of k values is added
     * @param postOps      the epilogue after the bias, not null
     * @param dataType     the element type, not null
     * @param direction    the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g.
     *                                  {@code offset_groups=3 must divide input channels c=64}
     */
    public DeformConv2d {
        Checks.convolution(n, c, h, w, k, window, groups, postOps, dataType, direction);
        OneLine.positive("offset_groups", offsetGroups);
        if (c % offsetGroups != 0) {
            throw new dev.convcl.text.FieldsException("offset_groups=" + offsetGroups + " must divide input channels c=" + c,
                    "offset_groups", "c");
        }
        long oh = window.outH(h), ow = window.outW(w);
        OneLine.fits("offset", n, 2, offsetGroups, window.kh(), window.kw(), oh, ow);
    }

    /**
     * A builder with {@link ConvBuilder}'s defaults, one offset group and no mask; set
     * {@link Builder#offsetGroups} and {@link Builder#mask} besides the shared fields.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code deform2d}
     */
    @Override
    public String name() {
        return "deform2d";
    }

    /**
     * The offsets' shape: channel {@code 2*(g*kh*kw + i*kw + j)} holds dy and the next dx of kernel
     * point (i, j) in offset group g, as torchvision lays them out.
     *
     * @return a new array {@code [n, 2*og*kh*kw, outH, outW]}
     */
    public int[] offsetShape() {
        return new int[] {n, 2 * offsetGroups * kh() * kw(), outH(), outW()};
    }

    /**
     * The mask's shape: channel {@code g*kh*kw + i*kw + j} scales kernel point (i, j) in offset
     * group g.
     *
     * @return a new array {@code [n, og*kh*kw, outH, outW]}
     */
    public int[] maskShape() {
        return new int[] {n, offsetGroups * kh() * kw(), outH(), outW()};
    }

    /**
     * Offset elements.
     *
     * @return {@code n * 2*og*kh*kw * outH * outW}
     */
    public long offsetSize() {
        return (long) n * 2 * offsetGroups * kh() * kw() * outH() * outW();
    }

    /**
     * Mask elements (counted whether or not {@link #mask()} is set).
     *
     * @return {@code n * og*kh*kw * outH * outW}
     */
    public long maskSize() {
        return (long) n * offsetGroups * kh() * kw() * outH() * outW();
    }

    @Override
    public List<ArgSpec> arguments() {
        List<ArgSpec> sampling = new ArrayList<>();
        sampling.add(new ArgSpec(Arg.OFFSET, offsetShape(), "[N, 2*og*kh*kw, OH, OW]"));
        if (mask) {
            sampling.add(new ArgSpec(Arg.MASK, maskShape(), "[N, og*kh*kw, OH, OW]"));
        }
        return Checks.convolutionArguments(this, sampling);
    }

    @Override
    public DeformConv2d withBatch(int batch) {
        return new DeformConv2d(batch, c, h, w, k, window, groups, offsetGroups, mask, bias, postOps, dataType, direction);
    }

    @Override
    public DeformConv2d withBias(boolean b) {
        return new DeformConv2d(n, c, h, w, k, window, groups, offsetGroups, mask, b, postOps, dataType, direction);
    }

    @Override
    public DeformConv2d withPostOps(PostOps p) {
        return new DeformConv2d(n, c, h, w, k, window, groups, offsetGroups, mask, bias, p, dataType, direction);
    }

    @Override
    public Conv2d asConv2d() {
        return new Conv2d(n, c, h, w, k, window, groups, bias, postOps, dataType, direction);
    }

    /**
     * The one-line form, read back by {@link #parse}.
     *
     * @return e.g. {@code op=deform2d n=1 c=64 h=64 w=64 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 og=1 mask=1 bias=0}
     */
    @Override
    public String toString() {
        return "op=deform2d " + Checks.shapeFields(this) + " og=" + offsetGroups + " mask=" + (mask ? 1 : 0)
                + Checks.tailFields(this);
    }

    /**
     * Reads the one-line form (see the class comment); {@link Operation#parse} reads any operator's.
     * {@code op=deform_conv2d} is accepted for {@code op=deform2d}.
     *
     * @param line the fields; omitted ones take their defaults (stride, dil, groups and og 1, pad 0,
     *             mask and bias 0)
     * @return the descriptor
     * @throws IllegalArgumentException naming the field and the rule, or when the line is another
     *                                  operator's
     */
    public static DeformConv2d parse(String line) {
        return OneLine.parseAs(line, DeformConv2d.class, "deform2d");
    }

    static DeformConv2d fromFields(Map<String, String> f) {
        return OneLine.convFields(f, KEYS).deform2d();
    }

    /** Mutable builder of {@link DeformConv2d}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder extends ConvBuilder<Builder> {
        private int offsetGroups = 1;
        private boolean mask;

        private Builder() {
        }

        /**
         * Offset groups: input channels are split into {@code og} groups, each with its own
         * offsets (and mask). Default 1.
         *
         * @param og the offset groups, dividing the input channels (checked by {@link #build()})
         * @return this builder
         */
        public Builder offsetGroups(int og) {
            offsetGroups = og;
            return this;
        }

        /**
         * Whether a modulation mask ({@link Arg#MASK}) is given: DCNv2 with it, DCNv1 without.
         * Default false.
         *
         * @param m true for a mask
         * @return this builder
         */
        public Builder mask(boolean m) {
            mask = m;
            return this;
        }

        /**
         * The descriptor of the values set so far (forward, with the builder's data type).
         *
         * @return the descriptor
         * @throws IllegalArgumentException naming the field and the rule (as the constructor), or
         *                                  the setter to call when {@link #input} or {@link #output}
         *                                  was not called
         */
        public DeformConv2d build() {
            checkSet();
            return new DeformConv2d(n, c, h, w, k, window(), groups, offsetGroups, mask, bias, postOps, dataType,
                    Direction.FORWARD);
        }
    }
}
