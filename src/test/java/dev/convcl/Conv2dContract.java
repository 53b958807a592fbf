package dev.convcl;

import dev.convcl.testing.CrossCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every conv2d path must do: match {@link dev.convcl.reference.ReferenceConv} exactly on
 * integer inputs and within relative L2 1e-5 on float inputs, on every hand-picked problem and
 * on {@value dev.convcl.testing.Problems#RANDOM_CONV2D_COUNT} random specs. A subclass says how
 * to compile a spec on its backend; whatever kernel that backend selects is what gets checked,
 * so new kernels are covered as soon as the backend chooses them.
 */
abstract class Conv2dContract {

    /** Compiles {@code spec} on the backend under test. */
    protected abstract Plan compile(Convolution spec);

    /** Called after each plan is closed, e.g. to check that nothing leaked. */
    protected void afterPlanClosed(Convolution spec) {
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.Problems#conv2dHandPicked")
    public void handPickedProblemsMatchReference(Convolution spec, long seed) {
        check(spec, seed);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.Problems#conv2dRandom")
    public void randomSpecsMatchReference(Convolution spec, long seed) {
        check(spec, seed);
    }

    private void check(Convolution spec, long seed) {
        // One plan, two calls: the second also checks that a plan can be executed again.
        try (Plan plan = compile(spec)) {
            CrossCheck.integersExact(spec, seed, plan::execute);
            CrossCheck.floatsClose(spec, seed, 1, plan::execute);
        }
        afterPlanClosed(spec);
    }
}
