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
 */
public sealed interface Operation permits Convolution, ChannelAffine, Binary, Pool2d, ChannelCopy, ChannelShuffle,
        Pad2d {

    /** The operator's name in the one-line form, e.g. {@code conv2d}. */
    String name();

    /** The pass described; {@link Direction#FORWARD} today. */
    Direction direction();

    /** The element type of every tensor; {@link DataType#F32} today. */
    DataType dataType();

    /**
     * Every argument the operation takes, with the shape each must have: the inputs in the order
     * of PyTorch's signature, then {@link Arg#DST}. Optional arguments are listed only when the
     * descriptor uses them (a bias when it has one, a sum tensor when a post-op reads it).
     */
    List<ArgSpec> arguments();

    /** Floating-point operations of one call, a multiply-add counted as two (the benchmarks' convention). */
    double flops();

    /** The one-line repro, e.g. {@code op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=0}. */
    @Override
    String toString();

    /**
     * Reads a one-line form: whitespace-separated {@code key=value} fields, optionally preceded by
     * a name (a first token without '='), which is ignored. The {@code op} field selects the
     * operator; each operator's record documents its fields.
     *
     * @throws IllegalArgumentException naming the field when a value is missing, malformed or
     *                                  breaks a rule
     */
    static Operation parse(String line) {
        Map<String, String> f = OneLine.fields(line);
        String op = OneLine.required(f, "op");
        return switch (op.toLowerCase(java.util.Locale.ROOT)) {
            case "conv2d" -> Conv2d.fromFields(f);
            case "deform2d", "deform_conv2d" -> DeformConv2d.fromFields(f);
            case "channel_affine" -> ChannelAffine.fromFields(f);
            case "binary" -> Binary.fromFields(f);
            case "pool2d" -> Pool2d.fromFields(f);
            case "channel_copy" -> ChannelCopy.fromFields(f);
            case "channel_shuffle" -> ChannelShuffle.fromFields(f);
            case "pad2d" -> Pad2d.fromFields(f);
            default -> throw new IllegalArgumentException("op '" + op + "' is not one of conv2d, deform2d, channel_affine, "
                    + "binary, pool2d, channel_copy, channel_shuffle, pad2d");
        };
    }
}
