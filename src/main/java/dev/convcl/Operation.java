package dev.convcl;

import java.util.List;
import java.util.Map;

/**
 * An operation descriptor: one problem, as a value that validates itself on construction and
 * prints as a one-line repro ({@link #toString()}, read back by {@link #parse(String)}). Each
 * operator is a record implementing this interface; {@link Engine#plan(Operation)} compiles one
 * for a device. Descriptors carry shapes, the {@link Direction} and the {@link DataType}; the
 * tensors of a call are passed by role in {@link Args} and checked against {@link #arguments()}.
 *
 * <p>Semantics are PyTorch's, named by each record. Adding an operator: see
 * {@code docs/ARCHITECTURE.md}, "Adding an operator".
 *
 * <pre>{@code
 * Operation op = Operation.parse("op=conv2d n=1 c=32 h=56 w=56 k=32 kh=3 kw=3 pad=1 groups=32 post=relu6");
 * for (ArgSpec a : op.arguments()) {
 *     System.out.println(a);   // input [1, 32, 56, 56] [N, C, H, W], weight [32, 1, 3, 3] ..., output ...
 * }
 * }</pre>
 */
public sealed interface Operation permits Convolution, ChannelAffine, Binary, Pool2d, ChannelCopy, ChannelShuffle,
        Pad2d, RoiAlign, SqueezeExcitation {

    /**
     * The operator's name in the one-line form ({@code op=}) and in messages.
     *
     * @return e.g. {@code conv2d} or {@code deform2d}
     */
    String name();

    /**
     * The pass described.
     *
     * @return {@link Direction#FORWARD} today
     */
    Direction direction();

    /**
     * The element type of every tensor of the operation.
     *
     * @return {@link DataType#F32} today
     */
    DataType dataType();

    /**
     * Every argument the operation takes, with the shape each must have: the inputs in the order
     * of PyTorch's signature, then {@link Arg#DST}. Optional arguments are listed only when the
     * descriptor uses them (a bias when it has one, a sum tensor when a post-op reads it).
     *
     * @return the arguments, one per role, {@link Arg#DST} last
     */
    List<ArgSpec> arguments();

    /**
     * Floating-point operations of one call, a multiply-add counted as two (the benchmarks'
     * convention; bias, post-ops and deformable sampling not counted).
     *
     * @return the count, e.g. {@code 2 * N * K * OH * OW * (C/groups) * kh * kw} for a convolution;
     *         0 (this default) for an operation that only moves data
     */
    default double flops() {
        return 0;
    }

    /**
     * The one-line repro, read back by {@link #parse} into an equal descriptor.
     *
     * @return e.g. {@code op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=0}
     */
    @Override
    String toString();

    /**
     * Reads a one-line form: whitespace-separated {@code key=value} fields, optionally preceded by
     * a name (a first token without '='), which is ignored. The {@code op} field selects the
     * operator; each operator's record documents its fields.
     *
     * @param line e.g. {@code stem op=conv2d n=1 c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3}
     * @return the descriptor, a {@link Conv2d} or a {@link DeformConv2d}
     * @throws IllegalArgumentException naming the field when a value is missing, malformed or
     *                                  breaks a rule, or when a field is unknown or given twice
     */
    static Operation parse(String line) {
        Map<String, String> f = OneLine.fields(line);
        String op = OneLine.required(f, "op");
        try {
            return fromFields(op, f);
        } catch (dev.convcl.text.FieldException e) {
            throw OneLine.asTyped(e, f);
        }
    }

    /** The operation {@code op} of the line's fields {@code f}. */
    private static Operation fromFields(String op, Map<String, String> f) {
        return switch (op.toLowerCase(java.util.Locale.ROOT)) {
            case "conv2d" -> Conv2d.fromFields(f);
            case "deform2d", "deform_conv2d" -> DeformConv2d.fromFields(f);
            case "channel_affine" -> ChannelAffine.fromFields(f);
            case "binary" -> Binary.fromFields(f);
            case "pool2d" -> Pool2d.fromFields(f);
            case "channel_copy" -> ChannelCopy.fromFields(f);
            case "channel_shuffle" -> ChannelShuffle.fromFields(f);
            case "pad2d" -> Pad2d.fromFields(f);
            case "squeeze_excitation" -> SqueezeExcitation.fromFields(f);
            case "roi_align" -> RoiAlign.fromFields(RoiAlign.Kind.ROI_ALIGN, f);
            case "ps_roi_align" -> RoiAlign.fromFields(RoiAlign.Kind.PS_ROI_ALIGN, f);
            case "deform_roi_pool" -> RoiAlign.fromFields(RoiAlign.Kind.DEFORM_ROI_POOL, f);
            default -> throw new IllegalArgumentException("op '" + op + "' is not one of conv2d, deform2d, channel_affine, "
                    + "binary, pool2d, channel_copy, channel_shuffle, pad2d, squeeze_excitation, roi_align, ps_roi_align, "
                    + "deform_roi_pool");
        };
    }
}
