package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceException;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.ForkedJvm;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU path's working memory is its output plus a fixed tile, whatever the padding: every
 * algorithm's scratch stays within {@link Scratch#boundFloats} on problems whose padding dwarfs
 * the input (a 1x1 image padded by 3000 or 12000), a depthwise plane cut into bands of output rows
 * gives the reference's results bit for bit, and the padding-3000 problems run in a 256 MiB heap.
 */
class CpuScratchTest {
    private static final String[] ALGORITHMS = {
        "cpu-gemm", "cpu-implicit-gemm", "cpu-1x1", "cpu-depthwise-cover", "cpu-depthwise-blocked", "cpu-depthwise",
        "cpu-depthwise-flat", "cpu-deform-lanes", "cpu-deform-gemm", "cpu-direct"};
    @RegisterExtension
    static final CpuBackends BACKENDS = new CpuBackends(new int[] {1, 3}, 2);

    /** 1x1 inputs under a huge padding: depthwise, dense, grouped, strided, dilated, deformable. */
    static Stream<String> hugePadding() {
        List<String> lines = new ArrayList<>();
        for (int pad : new int[] {3000, 12000}) {
            // Outputs and offsets stay under 2^31 elements: at most two 23999 x 23999 planes.
            lines.add("op=conv2d n=1 c=1 h=1 w=1 k=1 kh=3 kw=3 pad=" + pad);
            lines.add("op=conv2d n=1 c=1 h=1 w=1 k=2 kh=3 kw=3 pad=" + pad + " bias=1");
            lines.add("op=conv2d n=1 c=2 h=1 w=1 k=1 kh=3 kw=3 pad=" + pad);
            lines.add("op=conv2d n=2 c=4 h=1 w=1 k=2 kh=3 kw=3 stride=4 pad=" + pad + " groups=2 relu=1");
            lines.add("op=conv2d n=1 c=2 h=1 w=1 k=2 kh=1 kw=1 stride=2 pad=" + pad);
            lines.add("op=conv2d n=1 c=1 h=1 w=1 k=1 kh=3 kw=3 stride=7 pad=" + pad + " dil=5");
            lines.add("op=conv2d n=1 c=2 h=1 w=1 k=2 kh=3 kw=3 stride=64 pad=" + pad + " groups=2");
            lines.add("op=conv2d n=1 c=3 h=1 w=1 k=5 kh=3 kw=3 stride=64,1 pad=" + pad);
            lines.add("op=conv2d n=1 c=1 h=1 w=1 k=1 kh=1 kw=3 pad=0," + pad);
            lines.add("op=conv2d n=1 c=1 h=1 w=1 k=1 kh=31 kw=1 pad=" + pad + ",0 dil=100,1");
            lines.add("op=deform2d n=1 c=2 h=1 w=1 k=3 kh=3 kw=3 stride=8 pad=" + pad + " og=1 mask=1");
            lines.add("op=deform2d n=1 c=2 h=1 w=1 k=2 kh=3 kw=3 stride=8 pad=" + pad + " groups=2 og=2 mask=0");
        }
        // A tall padding under a 1x1 plane (a reviewer's case): cpu-depthwise-flat's input buffer
        // and wide output are each just under a tile here, together above it, so it must refuse.
        lines.add("op=conv2d n=1 c=3 h=1 w=1 k=3 kh=1 kw=1 pad=0,0,1048000,0 groups=3");
        // Deformable on a 7x7 map with 128 offset groups of 7x7 kernel points (a reviewer's case):
        // the channel-lane GEMM samples a whole image at once, whose sampling data alone is most of
        // a tile, so the lane path must not be taken where the pixel tiles keep within the bound.
        lines.add("op=deform2d n=4 c=128 h=7 w=7 k=16 kh=7 kw=7 pad=3 og=128 mask=1");
        return lines.stream();
    }

    /**
     * Every algorithm that takes the problem holds at most the bound, and the one the backend
     * chooses always takes it; an algorithm whose layout would outgrow the bound refuses the
     * problem as out of resources rather than allocating.
     */
    @ParameterizedTest
    @MethodSource("hugePadding")
    void scratchStaysWithinTheBoundWhateverThePadding(String line) {
        Convolution spec = Problems.parse(line);
        String chosen = CpuBackend.algorithmFor(spec);
        for (CpuBackend backend : BACKENDS) {
            long bound = 4 * Scratch.boundFloats(spec, backend.threads());
            Set<String> ran = new TreeSet<>();
            for (String algorithm : ALGORITHMS) {
                CpuPlan plan;
                try {
                    plan = backend.compile(spec, algorithm);
                } catch (IllegalArgumentException cannotRunThisKind) {
                    continue;
                } catch (DeviceException refused) {
                    assertEquals(DeviceException.Kind.OUT_OF_RESOURCES, refused.kind(), refused.getMessage());
                    assertFalse(algorithm.equals(chosen), "the chosen " + chosen + " refused " + spec + ": " + refused);
                    continue;
                }
                try (plan) {
                    long scratch = plan.scratchBytes();
                    assertTrue(scratch <= bound, algorithm + " on " + backend.threads() + " threads holds " + scratch
                            + " bytes of scratch, above the bound of " + bound + " (output " + 4 * spec.outputSize()
                            + " bytes): " + spec);
                    ran.add(algorithm);
                }
            }
            assertTrue(ran.contains(chosen), "the chosen " + chosen + " did not compile: " + spec);
        }
    }

    /** A tile per thread, and a copy of the (bordered) input: nothing that grows with the padding. */
    @Test
    void boundIsATilePerThreadWhenTheInputIsSmall() {
        Convolution spec = Problems.parse("op=conv2d n=1 c=1 h=1 w=1 k=1 kh=3 kw=3 pad=12000");
        assertEquals(2 * 4 * 3 + 3 * Scratch.TILE_FLOATS, Scratch.boundFloats(spec, 2));
        assertTrue(4 * Scratch.boundFloats(spec, 2) < 4 * spec.outputSize() / 100,
                "a tile per thread is small next to this output");
    }

    static Stream<String> depthwiseSpecs() {
        return Stream.of(
                "op=conv2d n=1 c=5 h=13 w=7 k=5 kh=3 kw=3 pad=1 groups=5 bias=1",
                "op=conv2d n=2 c=3 h=13 w=13 k=6 kh=3 kw=3 stride=2 pad=0,2 groups=3 relu=1",
                "op=conv2d n=1 c=4 h=13 w=11 k=4 kh=3 kw=5 stride=3 pad=4,1 dil=2 groups=4 bias=1",
                "op=conv2d n=1 c=2 h=33 w=33 k=2 kh=31 kw=31 pad=15 groups=2 bias=1",
                "op=conv2d n=1 c=1 h=1 w=1 k=2 kh=3 kw=3 pad=9,4 groups=1",
                "op=conv2d n=1 c=2 h=3 w=2 k=2 kh=3 kw=2 stride=2,3 pad=11,7 dil=3,2 groups=2 bias=1",
                "op=conv2d n=1 c=2 h=29 w=5 k=4 kh=5 kw=1 stride=1 pad=6,0 dil=4,1 groups=2",
                "op=conv2d n=1 c=2 h=13 w=13 k=2 kh=1 kw=7 pad=0,3 stride=1,2 groups=2");
    }

    /**
     * Planes cut into bands of 1, 2, 3 ... output rows (a small tile forces them) give the
     * reference's values exactly on integer data, and the same NaN where a NaN weight meets the
     * padding zeros.
     */
    @ParameterizedTest
    @MethodSource("depthwiseSpecs")
    void bandsMatchTheReference(String line) {
        Convolution spec = Problems.parse(line);
        Args ints = Tensors.args(spec, 5, true, 1);
        Args poisoned = Tensors.args(spec, 6, true, 1);
        Tensors.array(poisoned, Arg.WEIGHTS)[0] = Float.NaN;
        float[] ref = CrossCheck.reference(spec, ints);
        float[] refPoisoned = CrossCheck.reference(spec, poisoned);
        assertTrue(countNaN(refPoisoned) > 0, "the NaN weight must reach the reference output: " + spec);
        Set<Integer> bandCounts = new TreeSet<>();
        for (CpuBackend backend : BACKENDS) {
            for (long tile = 64; tile <= 1 << 16; tile = tile * 3 / 2) {
                DepthwiseConv plan;
                try {
                    plan = new DepthwiseConv(spec, backend.pool(), kernels(backend), tile);
                } catch (DeviceException oneRowTooLarge) {
                    continue;
                }
                bandCounts.add(plan.bands());
                String where = plan.bands() + " bands (tile " + tile + ", " + backend.kernelName() + " x"
                        + backend.threads() + ") on " + spec;
                assertTrue(plan.scratchBytes() <= 4 * tile * backend.threads(), "scratch above the tile, " + where);
                assertMatches(backend, plan, spec, ints, ref, where);
                assertMatches(backend, plan, spec, poisoned, refPoisoned, "NaN weight, " + where);
            }
        }
        assertTrue(bandCounts.contains(1) && bandCounts.stream().anyMatch(b -> b > 2),
                "the tiles tried must give whole planes and several bands: " + bandCounts);
    }

    /**
     * Stride-1 planes whose output rows go straight into the output (rows of whole vectors that
     * spill onto the next row's start), whole and in bands of a few rows: exact against the
     * reference on integer data, with a NaN weight too, for batch 2-3, multiplier 2, rows narrower
     * than a vector and a 56-wide map; nothing written outside a band (the output arrives poisoned,
     * and bands of other planes run on other threads). With a sum post-op the rows go through the
     * wide buffer instead, also exact.
     */
    @ParameterizedTest
    @MethodSource("directSpecs")
    void directRowsStayInsideTheirBandAndMatchTheReference(String line) {
        Convolution spec = Problems.parse(line);
        Args ints = Tensors.args(spec, 8, true, 1);
        Args poisoned = Tensors.args(spec, 9, true, 1);
        Tensors.array(poisoned, Arg.WEIGHTS)[1] = Float.NaN;
        float[] ref = CrossCheck.reference(spec, ints);
        float[] refPoisoned = CrossCheck.reference(spec, poisoned);
        boolean direct = false;
        for (CpuBackend backend : BACKENDS) {
            for (long tile : new long[] {Scratch.TILE_FLOATS, 700, 300}) {
                DepthwiseConv plan;
                try {
                    plan = new DepthwiseConv(spec, backend.pool(), kernels(backend), tile);
                } catch (DeviceException oneRowTooLarge) {
                    continue;
                }
                direct |= plan.writesRowsDirectly() && !spec.postOps().hasSum();
                String where = plan.bands() + " bands, direct " + plan.writesRowsDirectly() + " ("
                        + backend.kernelName() + " x" + backend.threads() + ") on " + spec;
                assertMatches(backend, plan, spec, ints, ref, where);
                assertMatches(backend, plan, spec, poisoned, refPoisoned, "NaN weight, " + where);
            }
        }
        assertTrue(direct || spec.postOps().hasSum(), "no plan wrote its rows straight into the output: " + spec);
    }

    static Stream<String> directSpecs() {
        return Stream.of(
                "op=conv2d n=3 c=2 h=7 w=56 k=2 kh=3 kw=3 pad=1 groups=2",
                "op=conv2d n=2 c=3 h=9 w=13 k=6 kh=3 kw=3 pad=1 groups=3 bias=1 relu=1",
                "op=conv2d n=2 c=2 h=6 w=30 k=2 kh=5 kw=5 pad=2 groups=2 bias=1",
                "op=conv2d n=2 c=2 h=11 w=47 k=4 kh=3 kw=3 pad=2,1 dil=2,1 groups=2",
                "op=conv2d n=2 c=2 h=7 w=56 k=2 kh=3 kw=3 pad=1 groups=2 bias=1 post=sum+relu");
    }

    /** The rows written straight are those whose lanes end inside the band. */
    @Test
    void directRowsEndInsideTheBand() {
        assertEquals(55, DepthwiseConv.directRows(56, 56, 64));
        assertEquals(8, DepthwiseConv.directRows(9, 13, 16));
        assertEquals(0, DepthwiseConv.directRows(1, 56, 64));
        assertEquals(1, DepthwiseConv.directRows(1, 16, 16));
        assertEquals(2, DepthwiseConv.directRows(4, 7, 16)); // rows 0 and 1 end at 16 and 23 of 28
        for (int count = 1; count < 20; count++) {
            for (int ow = 1; ow < 40; ow++) {
                int len = (ow + 15) / 16 * 16;
                int rows = DepthwiseConv.directRows(count, ow, len);
                assertTrue(rows >= 0 && rows <= count);
                assertTrue(rows == 0 || (rows - 1) * ow + len <= count * ow, count + " x " + ow);
                assertTrue(rows == count || rows * ow + len > count * ow, count + " x " + ow);
            }
        }
    }

    /** A plane over the real tile (1405 x 1303 padded) is banded and still exact. */
    @Test
    void paddedPlaneAboveTheTileIsBandedAndExact() {
        Convolution spec = Problems.parse("op=conv2d n=1 c=2 h=5 w=3 k=4 kh=3 kw=3 pad=700,650 groups=2 bias=1 relu=1");
        Args ints = Tensors.args(spec, 7, true, 1);
        Tensors.array(ints, Arg.WEIGHTS)[4] = Float.NaN; // the centre tap of channel 0 meets padding everywhere
        float[] ref = CrossCheck.reference(spec, ints);
        for (CpuBackend backend : BACKENDS) {
            try (CpuPlan plan = backend.compile(spec, CpuBackend.algorithmFor(spec))) {
                assertEquals("cpu-depthwise", plan.algorithm());
                assertTrue(((DepthwiseConv) plan).bands() > 1, "expected bands: " + spec);
                float[] out = Primitives.output(backend, plan, spec, ints);
                int bad = Tensors.firstMismatch(ref, out);
                assertEquals(-1, bad, () -> "element " + bad + " is " + out[bad] + ", reference " + ref[bad]);
            }
        }
    }

    /**
     * The padding-3000 problems of the issue (a 1x1 input, 3x3 kernel: a depthwise one and a
     * dense one, each with a 6001 x 6001 padded plane and a 144 MB output) complete in a JVM of
     * 256 MiB, with every output right. {@link SmallHeapRun} checks the outputs in the forked JVM;
     * {@link #smallHeapRunChecksLikeTheReference} checks its expectation against the reference.
     */
    @Test
    void paddingThreeThousandRunsInA256MiBHeap() throws IOException, InterruptedException {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx256m"));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            command.add("--add-modules=jdk.incubator.vector");
        }
        command.addAll(List.of("-cp", ForkedJvm.classPath(), SmallHeapRun.class.getName(), "3000"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the forked JVM did not finish");
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), "the -Xmx256m run failed:\n" + text);
        assertTrue(text.contains(SmallHeapRun.OK + " " + SmallHeapRun.CASES.length), text);
    }

    /**
     * The forked run's expected outputs, against ReferenceConv on the same problems padded by 40,
     * and on strided, dilated and grouped ones.
     */
    @Test
    void smallHeapRunChecksLikeTheReference() {
        List<String> lines = new ArrayList<>();
        for (String template : SmallHeapRun.CASES) {
            lines.add(template.replace("PAD", "40"));
        }
        lines.add("op=conv2d n=2 c=4 h=1 w=1 k=6 kh=3 kw=4 stride=2,3 pad=41,40 dil=2,3 groups=2 bias=1");
        for (String line : lines) {
            Convolution spec = Problems.parse(line);
            Args args = SmallHeapRun.args(spec);
            float[] ref = CrossCheck.reference(spec, args);
            assertEquals(-1, SmallHeapRun.firstWrong(spec, args, ref), spec.toString());
            ref[ref.length / 2 + 3] += 1;
            assertEquals(ref.length / 2 + 3, SmallHeapRun.firstWrong(spec, args, ref), "the check must see an error");
        }
    }

    private static Kernels kernels(CpuBackend backend) {
        return "vector".equals(backend.kernelName()) ? Kernels.vectorOrNull() : Kernels.scalar();
    }

    /** {@code plan}'s output on {@code args} equals {@code ref} bitwise (NaN where it has NaN). */
    private static void assertMatches(CpuBackend backend, CpuPlan plan, Convolution spec, Args args, float[] ref,
                                      String where) {
        float[] out = Primitives.output(backend, plan, spec, args);
        int bad = Tensors.firstMismatch(ref, out);
        assertEquals(-1, bad, () -> where + ": element " + bad + " is " + out[bad] + ", reference " + ref[bad]);
    }

    private static int countNaN(float[] a) {
        int count = 0;
        for (float v : a) {
            count += Float.isNaN(v) ? 1 : 0;
        }
        return count;
    }
}
