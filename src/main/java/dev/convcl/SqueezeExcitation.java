package dev.convcl;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The per-channel scale of a squeeze-and-excitation block on an NCHW float32 tensor, or with
 * {@code apply} the block's output (the input times that scale), as
 * {@code torchvision.ops.SqueezeExcitation._scale} computes it (Hu et al., "Squeeze-and-Excitation
 * Networks"; MobileNetV3, RegNetY, EfficientNet):
 * {@code scale = scale_activation(fc2(activation(fc1(adaptive_avg_pool2d(input, 1)))))}, where
 * {@code fc1} is a 1x1 convolution from {@code c} to {@code squeeze} channels and {@code fc2} one
 * from {@code squeeze} back to {@code c}, both with bias. Per image {@code n} and channel {@code k}:
 * <pre>
 * p[c]   = (sum over the h*w pixels of input[n, c]) / (h * w)
 * z[s]   = activation(fc1_bias[s] + sum_c fc1_weight[s, c] * p[c])
 * scale[k] = scale_activation(fc2_bias[k] + sum_s fc2_weight[k, s] * z[s])
 * out[n, k]         = scale[k]                      (apply false: out is [n, c, 1, 1])
 * out[n, k, y, x]   = input[n, k, y, x] * scale[k]  (apply true: the block's output, torchvision's forward)
 * </pre>
 * Without {@code apply} the block's output, {@code input * scale}, is a {@link Binary} multiply
 * that broadcasts the scale over the plane; with it that multiply is part of the operation (one
 * launch fewer). One operation for the three layers lets a backend compute the scale in one
 * launch (on the OpenCL device a work-group for one image on a GPU, for a share of the batch on a
 * CPU device) instead of a pool and two 1x1 convolutions on 1x1 maps, three launches of little
 * work each.
 *
 * <p>Arguments ({@link #arguments()}): {@link Arg#SRC} {@code [n, c, h, w]}, {@link Arg#WEIGHTS}
 * (torchvision's {@code fc1.weight}) {@code [squeeze, c, 1, 1]}, {@link Arg#BIAS}
 * ({@code fc1.bias}) {@code [squeeze]}, {@link Arg#FC2_WEIGHTS} {@code [c, squeeze, 1, 1]},
 * {@link Arg#FC2_BIAS} {@code [c]}, and {@link Arg#DST} {@code [n, c, 1, 1]} ({@code [n, c, h, w]}
 * with {@code apply}). A block without a bias passes zeros.
 *
 * <p>On the OpenCL device a plan needs the pooled and squeezed values of a work-group's images,
 * {@code (c + squeeze)} floats an image (with {@code apply} too: the scales take the pooled values'
 * place), within half the device's local memory; a larger block runs
 * on the CPU path, logged (the graph pass fuses only blocks of at most 4096 values, which every
 * device holds). The CLI reaches the operation through {@code bench --model} and {@code run --model},
 * not as a line of a shapes file.
 *
 * <p>Rules: sizes at least 1; each activation a chain of at most one {@link Activation} (no sum
 * step; empty for none); the input, the weights ({@code squeeze * c}) and the squeezed values
 * ({@code n * squeeze}) each under 2^31 elements (32-bit indexing). One-line form: {@code op=squeeze_excitation n= c= h= w= squeeze=
 * [act=relu] [scale_act=sigmoid] [apply=1]} (an absent activation is none; apply defaults to 0).
 *
 * @param n               batch size, at least 1
 * @param c               channels of the input and of the scale, at least 1
 * @param h               input height, at least 1
 * @param w               input width, at least 1
 * @param squeeze         channels between the two layers (torchvision's {@code squeeze_channels}), at least 1
 * @param activation      after {@code fc1} (torchvision's default: ReLU), at most one activation
 * @param scaleActivation after {@code fc2} (torchvision's default: sigmoid; MobileNetV3: hardsigmoid), at most one activation
 * @param apply           whether the output is the input times the scale ({@code [n, c, h, w]}) rather than the scale
 * @param dataType        the element type
 * @param direction       the pass
 */
public record SqueezeExcitation(int n, int c, int h, int w, int squeeze, PostOps activation, PostOps scaleActivation,
                                boolean apply, DataType dataType, Direction direction) implements Operation {

    static final Set<String> KEYS = Set.of("op", "n", "c", "h", "w", "squeeze", "act", "scale_act", "apply", "dt",
            "dir");

    /**
     * Checks every rule.
     *
     * @param n               batch size, at least 1
     * @param c               channels, at least 1
     * @param h               input height, at least 1
     * @param w               input width, at least 1
     * @param squeeze         channels between the two layers, at least 1
     * @param activation      after {@code fc1}, at most one activation, not null
     * @param scaleActivation after {@code fc2}, at most one activation, not null
     * @param apply           whether the output is the input times the scale
     * @param dataType        the element type, not null
     * @param direction       the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g. {@code squeeze=0
     *                                  must be at least 1}; also when the input, the weights or the
     *                                  squeezed values would have 2^31 elements or more, or an
     *                                  argument is null
     */
    public SqueezeExcitation {
        OneLine.positiveNchw(n, c, h, w);
        OneLine.positive("squeeze", squeeze);
        if (activation == null || scaleActivation == null || dataType == null || direction == null) {
            throw new IllegalArgumentException("activation, scaleActivation, dataType and direction must not be null"
                    + " (PostOps.none() for no activation)");
        }
        oneActivation("act", activation, activation.toString());
        oneActivation("scale_act", scaleActivation, scaleActivation.toString());
        OneLine.fits("input", n, c, h, w);
        OneLine.fits("weight", squeeze, c);
        OneLine.fits("squeezed", n, squeeze);
    }

    /**
     * A forward float32 descriptor.
     *
     * @param n               batch size, at least 1
     * @param c               channels, at least 1
     * @param h               input height, at least 1
     * @param w               input width, at least 1
     * @param squeeze         channels between the two layers, at least 1
     * @param activation      after {@code fc1}, at most one activation
     * @param scaleActivation after {@code fc2}, at most one activation
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public SqueezeExcitation(int n, int c, int h, int w, int squeeze, PostOps activation, PostOps scaleActivation) {
        this(n, c, h, w, squeeze, activation, scaleActivation, false, DataType.F32, Direction.FORWARD);
    }

    /**
     * A forward float32 descriptor of the scale, or with {@code apply} of the block's output.
     *
     * @param n               batch size, at least 1
     * @param c               channels, at least 1
     * @param h               input height, at least 1
     * @param w               input width, at least 1
     * @param squeeze         channels between the two layers, at least 1
     * @param activation      after {@code fc1}, at most one activation
     * @param scaleActivation after {@code fc2}, at most one activation
     * @param apply           whether the output is the input times the scale
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public SqueezeExcitation(int n, int c, int h, int w, int squeeze, PostOps activation, PostOps scaleActivation,
                             boolean apply) {
        this(n, c, h, w, squeeze, activation, scaleActivation, apply, DataType.F32, Direction.FORWARD);
    }

    /**
     * This descriptor with the output the input times the scale, or the scale alone.
     *
     * @param apply whether the output is the input times the scale
     * @return a descriptor equal to this one but for {@code apply}
     */
    public SqueezeExcitation withApply(boolean apply) {
        return new SqueezeExcitation(n, c, h, w, squeeze, activation, scaleActivation, apply, dataType, direction);
    }

    /** Refuses a chain of more than one step or a sum; {@code text} is the chain as the message shows it. */
    private static void oneActivation(String field, PostOps p, String text) {
        if (p.ops().size() > 1 || p.hasSum()) {
            throw new IllegalArgumentException(field + "=" + text + " must be at most one activation (no sum)");
        }
    }

    @Override
    public String name() {
        return "squeeze_excitation";
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
     * The output's shape: one scale per image and channel, or with {@code apply} the input's shape.
     *
     * @return {@code [n, c, 1, 1]}, or {@code [n, c, h, w]} with {@code apply}
     */
    public int[] outputShape() {
        return apply ? inputShape() : new int[] {n, c, 1, 1};
    }

    @Override
    public List<ArgSpec> arguments() {
        return List.of(new ArgSpec(Arg.SRC, inputShape(), "[N, C, H, W]"),
                new ArgSpec(Arg.WEIGHTS, new int[] {squeeze, c, 1, 1}, "[S, C, 1, 1]"),
                new ArgSpec(Arg.BIAS, new int[] {squeeze}, "[S]"),
                new ArgSpec(Arg.FC2_WEIGHTS, new int[] {c, squeeze, 1, 1}, "[C, S, 1, 1]"),
                new ArgSpec(Arg.FC2_BIAS, new int[] {c}, "[C]"),
                new ArgSpec(Arg.DST, outputShape(), apply ? "[N, C, H, W]" : "[N, C, 1, 1]"));
    }

    /** The pooling's adds (one per input element), the two layers' multiply-adds and, with apply, a multiply an element. */
    @Override
    public double flops() {
        return (apply ? 2.0 : 1.0) * n * c * h * w + 2.0 * 2.0 * n * c * squeeze;
    }

    /** {@code op=squeeze_excitation n=1 c=16 h=56 w=56 squeeze=8 act=relu scale_act=hardsigmoid}. */
    @Override
    public String toString() {
        return "op=squeeze_excitation n=" + n + " c=" + c + " h=" + h + " w=" + w + " squeeze=" + squeeze
                + (activation.isEmpty() ? "" : " act=" + activation)
                + (scaleActivation.isEmpty() ? "" : " scale_act=" + scaleActivation) + (apply ? " apply=1" : "");
    }

    static SqueezeExcitation fromFields(Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        int[] s = OneLine.nchw(f);
        int squeeze = OneLine.intField(f, "squeeze");
        PostOps act = PostOps.parse(f.get("act"));
        PostOps scaleAct = PostOps.parse(f.get("scale_act"));
        // here, so that the chains are named as typed (clip:0:6, not clip:0.0:6.0)
        oneActivation("act", act, f.get("act"));
        oneActivation("scale_act", scaleAct, f.get("scale_act"));
        return new SqueezeExcitation(s[0], s[1], s[2], s[3], squeeze, act, scaleAct, OneLine.flag(f, "apply"),
                OneLine.dataType(f), OneLine.direction(f));
    }
}
