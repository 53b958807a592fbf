package dev.convcl.testing;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Call arguments that do not match their spec, one mistake each: every tensor with a wrong
 * shape, every required tensor missing, every tensor the spec does not take given anyway, and
 * an output that aliases the input. {@link Args#validateFor} must reject each with an
 * {@link IllegalArgumentException} whose message contains {@link Case#expectedInMessage()}.
 */
public final class BadArgs {
    /** Grouped, with bias; input and output have the same shape, so they can alias. */
    public static final Convolution CONV =
            Problems.parse("op=conv2d n=2 c=4 h=6 w=5 k=4 kh=3 kw=3 pad=1 groups=2 bias=1");
    public static final Convolution CONV_NO_BIAS = CONV.withBias(false);
    public static final Convolution DEFORM =
            Problems.parse("op=deform2d n=1 c=4 h=6 w=5 k=2 kh=3 kw=3 pad=1 og=2 mask=1 bias=1");
    public static final Convolution DEFORM_NO_MASK =
            Problems.parse("op=deform2d n=1 c=4 h=6 w=5 k=2 kh=3 kw=3 pad=1 og=2 mask=0 bias=1");

    /**
     * One mismatch.
     *
     * @param name              what is wrong, for the test's display name
     * @param spec              the spec the arguments are checked against
     * @param args              the bad arguments (integer data, output poisoned with NaN)
     * @param expectedInMessage a part of the rejection message that names the tensor
     */
    public record Case(String name, Convolution spec, Args args, String expectedInMessage) {
        @Override
        public String toString() {
            return name;
        }
    }

    private BadArgs() {
    }

    /** Arguments that do match {@code spec}. */
    public static Args valid(Convolution spec) {
        return Tensors.args(spec, 99, true, 1);
    }

    public static Stream<Case> cases() {
        return Stream.of(
                bad("input with H and W swapped", CONV, a -> a.with(Arg.SRC, zeros(2, 4, 5, 6)), "input shape [2, 4, 5, 6]"),
                bad("input flattened", CONV, a -> a.with(Arg.SRC, zeros(2 * 4 * 6 * 5)), "input shape [240]"),
                bad("input missing", CONV, a -> a.with(Arg.SRC, null), "input tensor is missing"),
                bad("weight of a dense conv", CONV, a -> a.with(Arg.WEIGHTS, zeros(4, 4, 3, 3)), "weight shape [4, 4, 3, 3]"),
                bad("weight missing", CONV, a -> a.with(Arg.WEIGHTS, null), "weight tensor is missing"),
                bad("bias too long", CONV, a -> a.with(Arg.BIAS, zeros(5)), "bias shape [5]"),
                bad("bias missing", CONV, a -> a.with(Arg.BIAS, null), "bias tensor is missing"),
                bad("bias not asked for", CONV_NO_BIAS, a -> a.with(Arg.BIAS, zeros(4)), "a bias tensor was given"),
                bad("output too wide", CONV, a -> a.with(Arg.DST, nan(2, 4, 6, 6)), "output shape [2, 4, 6, 6]"),
                bad("output missing", CONV, a -> a.with(Arg.DST, null), "output tensor is missing"),
                bad("output aliases input", CONV, a -> a.with(Arg.DST, a.get(Arg.SRC)), "output must not share"),
                bad("offset for conv2d", CONV, a -> a.with(Arg.OFFSET, zeros(2, 18, 6, 5)), "an offset tensor was given"),
                bad("mask for conv2d", CONV, a -> a.with(Arg.MASK, zeros(2, 9, 6, 5)), "a mask tensor was given"),
                bad("offset of one offset group", DEFORM, a -> a.with(Arg.OFFSET, zeros(1, 18, 6, 5)), "offset shape [1, 18, 6, 5]"),
                bad("offset missing", DEFORM, a -> a.with(Arg.OFFSET, null), "offset tensor is missing"),
                bad("mask of one offset group", DEFORM, a -> a.with(Arg.MASK, zeros(1, 9, 6, 5)), "mask shape [1, 9, 6, 5]"),
                bad("mask missing", DEFORM, a -> a.with(Arg.MASK, null), "mask tensor is missing"),
                bad("mask not asked for", DEFORM_NO_MASK, a -> a.with(Arg.MASK, zeros(1, 18, 6, 5)), "a mask tensor was given"),
                bad("deform output of the wrong batch", DEFORM, a -> a.with(Arg.DST, nan(2, 2, 6, 5)), "output shape [2, 2, 6, 5]"));
    }

    /** A case whose arguments are {@code spec}'s valid ones with {@code edit} applied (one tensor replaced; null removes it). */
    private static Case bad(String name, Convolution spec, UnaryOperator<Args> edit, String expected) {
        return new Case(name, spec, edit.apply(valid(spec)), expected);
    }

    private static Tensor zeros(int... shape) {
        return Tensor.zeros(shape);
    }

    private static Tensor nan(int... shape) {
        HostTensor t = Tensor.zeros(shape);
        java.util.Arrays.fill(t.array(), Float.NaN);
        return t;
    }
}
