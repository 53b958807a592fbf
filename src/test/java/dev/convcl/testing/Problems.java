package dev.convcl.testing;

import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.Operation;
import dev.convcl.cli.BenchSuite;
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

    /**
     * Padding that differs before and after an axis ({@code pad=top,left,bottom,right}, ONNX's
     * pads): dense, grouped, depthwise, 1x1, strided and dilated conv2d, padding on one side only,
     * more padding than input; and deform2d.
     */
    public static Stream<Arguments> conv2dAsymmetricPadding() {
        return named(Stream.of(
                "op=conv2d n=2 c=4 h=7 w=6 k=5 kh=3 kw=3 pad=1,0,2,1 bias=1",
                "op=conv2d n=1 c=6 h=9 w=8 k=4 kh=3 kw=2 stride=2,1 pad=0,1,1,0 groups=2 relu=1",
                "op=conv2d n=1 c=8 h=7 w=7 k=8 kh=3 kw=3 pad=0,2,1,3 groups=8 bias=1",
                "op=conv2d n=1 c=4 h=9 w=5 k=8 kh=5 kw=5 stride=2 pad=4,0,0,4 dil=1,2 groups=4",
                "op=conv2d n=1 c=5 h=5 w=5 k=6 kh=1 kw=1 pad=0,1,1,0 bias=1",
                "op=conv2d n=1 c=3 h=6 w=7 k=4 kh=1 kw=1 stride=2 pad=2,0,0,1",
                "op=conv2d n=2 c=3 h=5 w=9 k=7 kh=3 kw=3 stride=1,2 pad=0,0,2,2 dil=2 bias=1 relu=1",
                "op=conv2d n=1 c=2 h=2 w=3 k=3 kh=3 kw=3 pad=3,1,0,4",
                "op=conv2d n=1 c=16 h=11 w=11 k=24 kh=3 kw=3 pad=2,1,0,1 bias=1")
                .map(Problems::parse).toList(), 6000);
    }

    /** {@link #conv2dAsymmetricPadding()}'s kind for deform2d. */
    public static Stream<Arguments> deform2dAsymmetricPadding() {
        return named(Stream.of(
                "op=deform2d n=1 c=4 h=6 w=5 k=3 kh=3 kw=3 pad=1,0,2,1 og=2 mask=1 bias=1",
                "op=deform2d n=2 c=2 h=5 w=7 k=2 kh=3 kw=2 stride=2,1 pad=0,1,2,0 dil=1,2 og=1 mask=0 relu=1",
                "op=deform2d n=1 c=6 h=4 w=4 k=6 kh=3 kw=3 pad=3,0,0,3 groups=3 og=3 mask=1")
                .map(Problems::parse).toList(), 7000);
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

    /**
     * A convolution in the one-line form ({@link Operation#parse}), or a shapes-file line: its
     * {@code quick=} field (the shapes file's, not the operator's) is dropped first, so the
     * benchmarks in this tree (GemmBenchmark, TiledKernelBench) read the bundled shapes file.
     */
    public static Convolution parse(String line) {
        return (Convolution) Operation.parse(BenchSuite.withoutQuick(line));
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
