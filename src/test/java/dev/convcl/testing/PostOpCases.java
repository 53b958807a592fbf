package dev.convcl.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.Plan;
import dev.convcl.PostOps;
import dev.convcl.reference.ReferenceConv;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Post-op chains for the epilogue tests: every activation kind (with parameters where it takes
 * them; clip also with an open end, an infinite bound), {@code sum} with and without a scale, and chains that mix them in both orders; on a
 * problem of each implementation family (dense, depthwise, strided 1x1, deformable v2 with bias).
 * A chain is checked against {@link ReferenceConv} on float data (relative L2 1e-5, no NaN) and,
 * with a NaN in the input, for NaN in exactly the reference's places.
 */
public final class PostOpCases {
    /** Every kind, parameters given and defaulted, sum alone and in chains. */
    public static final List<String> CHAINS = List.of("relu", "relu6", "clip:-1.5:2.25", "clip:0.5:Infinity", "clip:-Infinity:-0.25", "leaky_relu:0.1", "sigmoid",
            "silu", "gelu", "hardsigmoid", "hardsigmoid:0.2:0.5", "hardswish", "sum", "sum:0.5", "sum+relu",
            "sum:-2+leaky_relu:0.2", "relu+sum:0.25", "gelu+sum", "clip:0:6+sum+sigmoid");

    /** One problem per implementation family, without post-ops. */
    public static final List<String> PROBLEMS = List.of(
            "op=conv2d n=2 c=4 h=7 w=6 k=5 kh=3 kw=3 pad=1 bias=1",
            "op=conv2d n=1 c=8 h=7 w=7 k=8 kh=3 kw=3 pad=1 groups=8 bias=1",
            "op=conv2d n=1 c=8 h=5 w=5 k=6 kh=1 kw=1 stride=2",
            "op=deform2d n=1 c=4 h=6 w=5 k=3 kh=3 kw=3 pad=1 og=2 mask=1 bias=1");

    private PostOpCases() {
    }

    /** Every problem with every chain, named by its one-line form. */
    public static Stream<Arguments> cases() {
        return PROBLEMS.stream().flatMap(p -> CHAINS.stream().map(chain -> {
            Convolution op = Problems.parse(p).withPostOps(PostOps.parse(chain));
            return Arguments.of(Named.of(op.toString(), op));
        }));
    }

    /**
     * Checks {@code plan} against the reference: float data within relative L2 1e-5 (the
     * seed decides the data), then the same data with a NaN in the first input element, which
     * must give NaN exactly where the reference has it.
     */
    public static void check(Convolution op, Plan plan, long seed) {
        CrossCheck.floatsClose(op, seed, 1, plan::execute);
        Args nan = Tensors.args(op, seed, false, 1);
        Tensors.array(nan, Arg.SRC)[0] = Float.NaN;
        float[] ref = CrossCheck.reference(op, nan);
        assertFalse(NonFinite.census(ref).startsWith("0 NaN"), "the NaN input must reach the output: " + op);
        plan.execute(nan);
        assertEquals(null, NonFinite.disagreement(ref, Tensors.out(nan)), "a NaN input on " + op + " with "
                + plan.implementation() + ": reference has " + NonFinite.census(ref) + ", the plan has "
                + NonFinite.census(Tensors.out(nan)));
    }
}
