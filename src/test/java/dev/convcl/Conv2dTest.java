package dev.convcl;

import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Target;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every conv2d implementation of every backend must do: match
 * {@link dev.convcl.reference.ReferenceConv} exactly on integer inputs and within relative L2 1e-5
 * on float inputs, on every hand-picked problem and on
 * {@value dev.convcl.testing.Problems#RANDOM_CONV2D_COUNT} random specs. Each problem runs on
 * every implementation of the target's list that accepts it (what selection walks), so a new
 * implementation is covered as soon as it accepts a problem; one plan makes two calls, so a plan
 * can be executed again; a closed plan leaves nothing on the device.
 */
class Conv2dTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    static Stream<Arguments> handPicked() {
        return Target.each(Problems::conv2dHandPicked);
    }

    static Stream<Arguments> asymmetricPadding() {
        return Target.each(Problems::conv2dAsymmetricPadding);
    }

    static Stream<Arguments> random() {
        return Target.each(Problems::conv2dRandom);
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("handPicked")
    void handPickedProblemsMatchReference(Target target, Convolution spec, long seed) {
        check(target, spec, seed);
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("asymmetricPadding")
    void asymmetricPaddingMatchesReference(Target target, Convolution spec, long seed) {
        check(target, spec, seed);
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("random")
    void randomSpecsMatchReference(Target target, Convolution spec, long seed) {
        check(target, spec, seed);
    }

    private static void check(Target target, Convolution spec, long seed) {
        Implementations.check(ENGINES.get(target), target, spec, plan -> {
            CrossCheck.integersExact(spec, seed, plan::execute);
            CrossCheck.floatsClose(spec, seed, 1, plan::execute);
        });
    }
}
