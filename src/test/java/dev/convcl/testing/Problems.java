package dev.convcl.testing;

import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.Operation;
import dev.convcl.reference.ProblemCorpus;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The problems the correctness suites run, as JUnit argument sources: the hand-picked cases of
 * {@link ProblemCorpus} and random specs from fixed seeds. Each source yields
 * {@code (Convolution op, long dataSeed)}, the spec named by its one-line form so a failing case
 * is a copy-paste repro. Use them as
 * {@code @MethodSource("dev.convcl.testing.Problems#conv2dRandom")}.
 */
public final class Problems {
    /** How many random conv2d specs each conv2d suite runs. */
    public static final int RANDOM_CONV2D_COUNT = 200;
    /** How many random deform2d specs each deform2d suite runs. */
    public static final int RANDOM_DEFORM2D_COUNT = 100;

    private static final long CONV2D_SEED = 20240611L;
    private static final long DEFORM2D_SEED = 7919L;

    private Problems() {
    }

    public static Stream<Arguments> conv2dHandPicked() {
        return named(List.copyOf(ProblemCorpus.conv2d().values()), 1000);
    }

    public static Stream<Arguments> conv2dRandom() {
        return named(randomConv2d(), 2000);
    }

    public static Stream<Arguments> deform2dHandPicked() {
        return named(List.copyOf(ProblemCorpus.deform2d().values()), 3000);
    }

    public static Stream<Arguments> deform2dRandom() {
        return named(randomDeform2d(), 4000);
    }

    /** Hand-picked deform2d problems and the first 20 random ones: for the property tests. */
    public static Stream<Arguments> deform2dPropertyCases() {
        return Stream.concat(deform2dHandPicked(), named(randomDeform2d().subList(0, 20), 5000));
    }

    public static List<Convolution> randomConv2d() {
        return ProblemCorpus.random(false, CONV2D_SEED, RANDOM_CONV2D_COUNT);
    }

    public static List<Convolution> randomDeform2d() {
        return ProblemCorpus.random(true, DEFORM2D_SEED, RANDOM_DEFORM2D_COUNT);
    }

    /** A convolution in the one-line form ({@link Operation#parse}). */
    public static Convolution parse(String line) {
        return (Convolution) Operation.parse(line);
    }

    /** A deformable convolution in the one-line form. */
    public static DeformConv2d deform(String line) {
        return DeformConv2d.parse(line);
    }

    /** Offset scale in pixels for the case with this data seed: 0.5 to 10, spread over the cases. */
    public static double offsetScale(long dataSeed) {
        return 0.5 + 9.5 * Math.floorMod(dataSeed * 2654435761L, 1000) / 999.0;
    }

    private static Stream<Arguments> named(List<Convolution> specs, long seedBase) {
        return IntStream.range(0, specs.size())
                .mapToObj(i -> Arguments.of(Named.of(specs.get(i).toString(), specs.get(i)), seedBase + i));
    }
}
