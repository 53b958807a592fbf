package dev.convcl;

import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.Target;
import java.util.function.LongToDoubleFunction;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every implementation of a convolution operator must do on every backend: match
 * {@link dev.convcl.reference.ReferenceConv} exactly on integer inputs and within relative L2 1e-5
 * on float inputs, on hand-picked problems, problems with asymmetric padding and seeded random
 * ones. Each problem runs on every implementation of the target's list that accepts it (what
 * selection walks, {@link Implementations}), so a new implementation is covered as soon as it
 * accepts a problem; one plan makes two calls, so a plan can be executed again; a closed plan
 * leaves nothing on the device.
 *
 * <p>A subclass per operator gives its problems, {@code (spec, seed)} cases that each run once per
 * target ({@link Target#each}), and the scale of the random offsets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // the parameter sources are the instance's
abstract class ConvolutionContract {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    private final Supplier<Stream<Arguments>> handPicked;
    private final Supplier<Stream<Arguments>> asymmetricPadding;
    private final Supplier<Stream<Arguments>> random;
    private final LongToDoubleFunction offsetScale;

    /**
     * @param handPicked        the hand-picked problems
     * @param asymmetricPadding problems whose padding differs before and after an axis
     * @param random            seeded random problems
     * @param offsetScale       how far, in pixels, the float check's random offsets reach for a seed
     */
    ConvolutionContract(Supplier<Stream<Arguments>> handPicked, Supplier<Stream<Arguments>> asymmetricPadding,
                        Supplier<Stream<Arguments>> random, LongToDoubleFunction offsetScale) {
        this.handPicked = handPicked;
        this.asymmetricPadding = asymmetricPadding;
        this.random = random;
        this.offsetScale = offsetScale;
    }

    Stream<Arguments> handPicked() {
        return Target.each(handPicked);
    }

    Stream<Arguments> asymmetricPadding() {
        return Target.each(asymmetricPadding);
    }

    Stream<Arguments> random() {
        return Target.each(random);
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

    private void check(Target target, Convolution spec, long seed) {
        Implementations.check(ENGINES.get(target), target, spec, plan -> {
            CrossCheck.integersExact(spec, seed, plan::execute);
            CrossCheck.floatsClose(spec, seed, offsetScale.applyAsDouble(seed), plan::execute);
        });
    }
}
