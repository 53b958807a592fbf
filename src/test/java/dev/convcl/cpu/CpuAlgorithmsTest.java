package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.DeviceChoice;
import dev.convcl.DeviceException;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.DeformEdgeCases;
import dev.convcl.testing.NonFinite;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every CPU algorithm against {@link ReferenceConv}, with both kernel sets (Vector API when the
 * module is present, plain Java always): odd shapes that hit tile and block edges, random specs
 * from a fixed seed, and NaN/Inf propagation. Integer inputs must match exactly; float inputs
 * within a relative L2 error of 1e-5. Outputs start as NaN, so an unwritten element fails.
 */
class CpuAlgorithmsTest {
    private static final double TOLERANCE = 1e-5;
    private static final List<CpuBackend> BACKENDS = new ArrayList<>();

    @BeforeAll
    static void backends() {
        BACKENDS.add(new CpuBackend(2, Kernels.scalar()));
        Kernels vector = Kernels.vectorOrNull();
        if (vector != null) {
            BACKENDS.add(new CpuBackend(3, vector)); // an odd thread count splits work unevenly
        }
        // One thread runs every task inline, and never the shared-tile mode.
        BACKENDS.add(new CpuBackend(1, vector != null ? vector : Kernels.scalar()));
    }

    /** Kernels and threads, e.g. {@code vector x3}, for failure messages. */
    private static String label(CpuBackend backend) {
        return backend.kernelName() + " x" + backend.threads();
    }

    @AfterAll
    static void close() {
        BACKENDS.forEach(CpuBackend::close);
    }

    private static final String DEFORM_LANES_RANGES = "op=deform2d n=1 c=16 h=5 w=5 k=200 kh=3 kw=3 pad=1 og=1 mask=1 bias=1";
    private static final String DEFORM_LANES_CHUNKS = "op=deform2d n=2 c=80 h=5 w=5 k=200 kh=3 kw=3 pad=1 og=2 mask=1";

    /**
     * The two cpu-deform-lanes edge specs above reach the cuts they are there for, on the kernels
     * and thread counts of {@link #BACKENDS}: channel ranges, one of them from inside a panel, and
     * kernel points in more than one chunk; each task's scratch within a tile.
     */
    @Test
    void deformLanesEdgeSpecsReachEveryCut() {
        for (CpuBackend backend : BACKENDS) {
            Kernels k = backend.kernels();
            DeformConv2d ranges = (DeformConv2d) Problems.parse(DEFORM_LANES_RANGES);
            DeformConv2d chunks = (DeformConv2d) Problems.parse(DEFORM_LANES_CHUNKS);
            DeformLanesConv.Layout r;
            DeformLanesConv.Layout c;
            try (CpuPlan a = backend.compile(ranges, "cpu-deform-lanes");
                 CpuPlan b = backend.compile(chunks, "cpu-deform-lanes")) {
                r = ((DeformLanesConv) a).layout();
                c = ((DeformLanesConv) b).layout();
            }
            String where = label(backend) + ": " + r + ", " + c;
            assertTrue(r.parts() > 1 && r.kRange() % k.pixelMajorPanel() != 0, "channel ranges from inside a panel, " + where);
            assertTrue(c.ptChunk() < 9, "kernel points in chunks, " + where);
            assertTrue(r.taskFloats() <= Scratch.TILE_FLOATS && c.taskFloats() <= Scratch.TILE_FLOATS, where);
        }
    }

    static Stream<String> edgeSpecs() {
        return Stream.of(
                // 1x1: contiguous, strided, grouped, a single pixel, K not a multiple of 8
                "op=conv2d n=2 c=3 h=7 w=13 k=5 kh=1 kw=1",
                "op=conv2d n=1 c=6 h=13 w=7 k=13 kh=1 kw=1 stride=2,3 bias=1 relu=1",
                // strided 1x1 (ResNet's projections), read in place from the compact copy: odd sizes
                // and a sum (the direct store), columns across images (3x2 output maps: folded on 8
                // and 16 lanes; 3x3: on 16 only), and the 7x7 channel-lane GEMM
                "op=conv2d n=2 c=24 h=57 w=31 k=40 kh=1 kw=1 stride=2 bias=1 post=sum+relu",
                "op=conv2d n=3 c=6 h=5 w=4 k=10 kh=1 kw=1 stride=2 groups=2 bias=1",
                "op=conv2d n=3 c=6 h=5 w=6 k=10 kh=1 kw=1 stride=2 groups=2 bias=1",
                "op=conv2d n=2 c=64 h=14 w=13 k=32 kh=1 kw=1 stride=2 bias=1 relu=1",
                "op=conv2d n=1 c=6 h=7 w=7 k=9 kh=1 kw=1 groups=3 bias=1",
                "op=conv2d n=3 c=5 h=1 w=1 k=11 kh=1 kw=1 relu=1",
                "op=conv2d n=1 c=4 h=5 w=5 k=4 kh=1 kw=1 pad=1 bias=1",
                // 1x1 read in place on a small map: output channels split into tasks, a short last part
                "op=conv2d n=2 c=9 h=7 w=5 k=37 kh=1 kw=1 bias=1",
                "op=conv2d n=2 c=8 h=5 w=5 k=38 kh=1 kw=1 groups=2 relu=1",
                // 1x1 on tiny maps with columns across images (FOLDED_SPECS): an image split between
                // two pixel tiles (k=1100: tiles of 48 or 56 columns), groups, a sum post-op
                "op=conv2d n=5 c=7 h=2 w=3 k=70 kh=1 kw=1 bias=1 relu=1",
                "op=conv2d n=9 c=33 h=1 w=7 k=1100 kh=1 kw=1 bias=1",
                "op=conv2d n=3 c=12 h=2 w=2 k=18 kh=1 kw=1 groups=3 post=sum+relu6",
                "op=conv2d n=8 c=40 h=1 w=1 k=100 kh=1 kw=1 bias=1 post=sum",
                // channel-lane GEMM with bound weights (LANE_SPECS): 7x7 with 3-, 2- and 1-vector
                // channel blocks and K not a multiple of 16, pixel tails (5x5: 21 + 4), several
                // images, groups, a strided 3x3 packed, a 1x1 read in place
                "op=conv2d n=1 c=64 h=7 w=7 k=100 kh=3 kw=3 pad=1 bias=1 relu=1",
                "op=conv2d n=3 c=72 h=5 w=5 k=37 kh=1 kw=1 bias=1",
                "op=conv2d n=2 c=32 h=13 w=13 k=64 kh=3 kw=3 stride=2 pad=1 groups=2 post=sum+relu",
                "op=conv2d n=5 c=80 h=6 w=6 k=16 kh=1 kw=1",
                // ... and ranges of whole 3-vector blocks (k=600 on one image), several depth chunks
                // a task (depth 720), a 2-vector block with a pixel tail on grouped in-place reads
                "op=conv2d n=1 c=64 h=7 w=7 k=600 kh=1 kw=1 bias=1",
                "op=conv2d n=6 c=80 h=7 w=7 k=40 kh=3 kw=3 pad=1 relu=1",
                "op=conv2d n=1 c=128 h=5 w=5 k=64 kh=1 kw=1 groups=2 bias=1",
                // ... and deformable columns: sampled by all threads for one image (blocks from
                // mid-panel), image by image for several, with groups
                "op=deform2d n=1 c=16 h=7 w=7 k=100 kh=3 kw=3 pad=1 og=2 mask=1 bias=1",
                "op=deform2d n=3 c=16 h=5 w=5 k=64 kh=3 kw=3 pad=1 groups=2 og=2 mask=0 relu=1",
                // ... sampled image by image in depth chunks (720 rows, chunks of 668 on 7x7) that
                // end inside a channel's kernel points
                "op=deform2d n=6 c=80 h=7 w=7 k=20 kh=3 kw=3 pad=1 og=2 mask=1",
                // ... cpu-deform-lanes: output channels in ranges (the last from mid-panel) on a
                // map of 25 pixels (a part block of 6), and kernel points in chunks (80 channels
                // a point against a range's transposed weights), offset groups of 40 channels
                // (vectors and a scalar tail)
                DEFORM_LANES_RANGES,
                DEFORM_LANES_CHUNKS,
                // dense 3x3 and friends: odd K, 8-row blocks plus tails, several pixel tiles
                "op=conv2d n=1 c=5 h=13 w=7 k=7 kh=3 kw=3 pad=1 bias=1",
                "op=conv2d n=2 c=16 h=13 w=13 k=37 kh=3 kw=3 pad=1 relu=1",
                "op=conv2d n=2 c=3 h=33 w=33 k=12 kh=3 kw=3 pad=1 bias=1 relu=1",
                "op=conv2d n=1 c=3 h=1 w=1 k=3 kh=3 kw=3 pad=1",
                "op=conv2d n=1 c=3 h=13 w=13 k=9 kh=3 kw=3 pad=4 dil=4",
                "op=conv2d n=1 c=2 h=13 w=11 k=5 kh=3 kw=2 stride=3 pad=2,1 dil=2,3 bias=1",
                "op=conv2d n=1 c=3 h=13 w=13 k=8 kh=3 kw=3 stride=2 pad=0,3 dil=1,2",
                "op=conv2d n=1 c=6 h=9 w=11 k=10 kh=1 kw=7 pad=0,3 relu=1",
                "op=conv2d n=1 c=6 h=11 w=9 k=10 kh=7 kw=1 pad=3,0 bias=1",
                // implicit GEMM cut by output channels (a short last part), wide rows of W + 3
                "op=conv2d n=1 c=16 h=3 w=3 k=60 kh=3 kw=3 pad=1 bias=1",
                "op=conv2d n=1 c=5 h=6 w=9 k=20 kh=1 kw=7 pad=0,3 relu=1",
                "op=conv2d n=1 c=3 h=33 w=33 k=8 kh=7 kw=7 stride=2 pad=3 bias=1",
                "op=conv2d n=1 c=2 h=7 w=7 k=3 kh=7 kw=7",
                // grouped
                "op=conv2d n=1 c=8 h=13 w=13 k=12 kh=3 kw=3 pad=1 groups=4 bias=1",
                "op=conv2d n=2 c=6 h=7 w=13 k=6 kh=3 kw=3 stride=2 pad=1 groups=3 relu=1",
                "op=conv2d n=1 c=32 h=7 w=7 k=32 kh=3 kw=3 pad=1 groups=8",
                // many small groups, padded group by group by the implicit GEMM on 1-3 threads
                // (PER_GROUP_SPECS): 3 and 20 (8 + 8 + 4) rows, stride 2 with 2 images,
                // dilation, and wide rows of more than one column block (40 x 38 > 1024)
                "op=conv2d n=1 c=48 h=7 w=9 k=48 kh=3 kw=3 pad=1 groups=16 bias=1",
                "op=conv2d n=1 c=192 h=9 w=9 k=240 kh=3 kw=3 pad=1 groups=12 relu=1",
                "op=conv2d n=2 c=26 h=11 w=5 k=39 kh=3 kw=3 stride=2 pad=1 groups=13 relu=1",
                "op=conv2d n=1 c=32 h=10 w=12 k=16 kh=3 kw=3 pad=2 dil=2 groups=16",
                "op=conv2d n=1 c=24 h=40 w=37 k=24 kh=3 kw=3 pad=1 groups=12 bias=1",
                // depthwise: multiplier 1 and 2, strides, dilation, asymmetric padding, a 31x31 kernel
                "op=conv2d n=1 c=5 h=13 w=7 k=5 kh=3 kw=3 pad=1 groups=5 bias=1",
                "op=conv2d n=2 c=3 h=13 w=13 k=6 kh=3 kw=3 stride=2 pad=0,2 groups=3 relu=1",
                "op=conv2d n=1 c=4 h=13 w=11 k=4 kh=3 kw=5 stride=3 pad=4,1 dil=2 groups=4 bias=1",
                "op=conv2d n=1 c=2 h=33 w=33 k=2 kh=31 kw=31 pad=15 groups=2 bias=1",
                "op=conv2d n=1 c=3 h=7 w=7 k=3 kh=5 kw=5 pad=2 groups=3",
                "op=conv2d n=1 c=3 h=1 w=1 k=6 kh=3 kw=3 pad=1 groups=3 bias=1",
                "op=conv2d n=1 c=2 h=13 w=13 k=2 kh=1 kw=7 pad=0,3 stride=1,2 groups=2",
                // depthwise rows three taps wide: blocks of four output rows reuse input rows
                // (VectorKernels), with a tail of rows, kh 1 to 5, horizontal dilation, multiplier 2
                "op=conv2d n=1 c=3 h=13 w=32 k=6 kh=3 kw=3 pad=1 groups=3 bias=1",
                "op=conv2d n=2 c=2 h=9 w=16 k=2 kh=5 kw=3 pad=2,1 groups=2 relu=1",
                "op=conv2d n=1 c=2 h=10 w=32 k=2 kh=1 kw=3 pad=0,2 dil=1,2 groups=2",
                "op=conv2d n=1 c=2 h=8 w=48 k=2 kh=3 kw=3 pad=2,1 dil=2,1 groups=2",
                // depthwise kernels that cover the plane (cpu-depthwise-cover): output rows rounded
                // up to 4 (junk rows before channel 0's weights), 8 + 4 rows, rows of two vectors,
                // a kernel larger than it needs, a 1x1 plane, RepLKNet's 13x13 on 7x7 at 17 channels
                "op=conv2d n=2 c=5 h=3 w=5 k=5 kh=5 kw=9 pad=2,4 groups=5 bias=1 relu=1",
                "op=conv2d n=1 c=2 h=9 w=4 k=2 kh=17 kw=7 pad=8,3 groups=2",
                "op=conv2d n=1 c=3 h=2 w=19 k=3 kh=3 kw=37 pad=1,18 groups=3 bias=1",
                "op=conv2d n=1 c=2 h=3 w=3 k=2 kh=7 kw=7 pad=3 groups=2",
                "op=conv2d n=1 c=3 h=1 w=1 k=3 kh=3 kw=3 pad=1 groups=3",
                "op=conv2d n=1 c=17 h=7 w=7 k=17 kh=13 kw=13 pad=6 groups=17 bias=1",
                // depthwise planes computed flat (cpu-depthwise-flat, stride 1, OW == W): columns
                // that wrap at both ends, multiplier 2 with a sum, asymmetric padding across
                // (left 0, right 2; left 2, right 0), dilation, taller output than input, a 1x1
                // plane and a 1-wide one, rows longer than a vector, a 5x5 kernel (on 14 and on
                // 61 columns, the wide one with multiplier 2), 1x3 and 3x1
                "op=conv2d n=2 c=3 h=5 w=7 k=6 kh=3 kw=3 pad=1 groups=3 bias=1 relu=1",
                "op=conv2d n=1 c=4 h=6 w=9 k=4 kh=3 kw=3 pad=1,0,1,2 groups=4 bias=1",
                "op=conv2d n=1 c=2 h=7 w=5 k=2 kh=3 kw=3 pad=0,2,2,0 groups=2",
                "op=conv2d n=1 c=3 h=9 w=10 k=3 kh=3 kw=3 pad=2 dil=2 groups=3 bias=1",
                "op=conv2d n=1 c=2 h=3 w=6 k=2 kh=3 kw=3 pad=3,1 groups=2",
                "op=conv2d n=2 c=3 h=1 w=1 k=3 kh=3 kw=3 pad=1 groups=3 relu=1",
                "op=conv2d n=1 c=2 h=11 w=1 k=4 kh=3 kw=3 pad=1 groups=2",
                "op=conv2d n=1 c=3 h=6 w=37 k=3 kh=3 kw=3 pad=1 groups=3 bias=1",
                "op=conv2d n=1 c=5 h=14 w=14 k=5 kh=5 kw=5 pad=2 groups=5 bias=1",
                "op=conv2d n=1 c=3 h=9 w=61 k=6 kh=5 kw=5 pad=2 groups=3 bias=1 relu=1",
                "op=conv2d n=1 c=3 h=7 w=9 k=3 kh=1 kw=3 pad=0,1 groups=3",
                "op=conv2d n=1 c=3 h=7 w=9 k=3 kh=3 kw=1 pad=1,0 groups=3",
                // ... and at a stride (the stride-1 plane, every s-th row and column): stride 2 on
                // odd and even sizes, 3 by 2 with dilation, multiplier 2, rows past a vector
                "op=conv2d n=2 c=3 h=7 w=7 k=3 kh=3 kw=3 stride=2 pad=1 groups=3 bias=1 relu=1",
                "op=conv2d n=1 c=4 h=8 w=6 k=4 kh=3 kw=3 stride=2 pad=1,0,0,2 groups=4",
                "op=conv2d n=1 c=2 h=11 w=10 k=4 kh=3 kw=3 stride=3,2 pad=2 dil=2 groups=2 bias=1",
                "op=conv2d n=1 c=3 h=9 w=35 k=3 kh=3 kw=3 stride=2 pad=1 groups=3",
                // deformable: offset groups 1-4, with and without mask, stride, dilation, groups
                "op=deform2d n=1 c=4 h=7 w=7 k=5 kh=3 kw=3 pad=1 og=1 mask=0",
                "op=deform2d n=2 c=4 h=13 w=7 k=6 kh=3 kw=3 pad=1 og=2 mask=1 bias=1 relu=1",
                "op=deform2d n=1 c=6 h=13 w=13 k=9 kh=3 kw=3 stride=2 pad=2 dil=2 og=3 mask=1 bias=1",
                "op=deform2d n=1 c=8 h=7 w=13 k=8 kh=2 kw=3 pad=1,0 groups=2 og=4 mask=1",
                "op=deform2d n=1 c=4 h=33 w=33 k=12 kh=3 kw=3 pad=1 og=2 mask=1 relu=1",
                "op=deform2d n=1 c=3 h=1 w=1 k=4 kh=1 kw=1 og=1 mask=1",
                "op=deform2d n=1 c=16 h=5 w=5 k=33 kh=3 kw=3 pad=1 og=4 mask=0 bias=1",
                // depth 360 packed in chunks that end inside a channel's kernel points and inside
                // an offset group (the sampler runs kernel point by kernel point across channels)
                "op=deform2d n=1 c=40 h=30 w=30 k=8 kh=3 kw=3 pad=1 og=4 mask=1",
                "op=deform2d n=2 c=30 h=17 w=23 k=12 kh=3 kw=3 pad=1 groups=2 og=3 mask=0 bias=1");
    }

    static Stream<String> randomSpecs() {
        SplittableRandom rnd = new SplittableRandom(20240611);
        List<String> specs = new ArrayList<>();
        while (specs.size() < 40) {
            boolean deform = rnd.nextInt(4) == 0;
            int groups = 1 + rnd.nextInt(3), cg = 1 + rnd.nextInt(4), kg = 1 + rnd.nextInt(5);
            if (rnd.nextInt(4) == 0) {
                cg = 1; // depthwise, multiplier kg
            }
            int c = groups * cg, k = groups * kg;
            int kh = 1 + rnd.nextInt(5), kw = 1 + rnd.nextInt(5);
            int og = 1;
            if (deform) {
                List<Integer> divisors = new ArrayList<>();
                for (int d = 1; d <= Math.min(4, c); d++) {
                    if (c % d == 0) {
                        divisors.add(d);
                    }
                }
                og = divisors.get(rnd.nextInt(divisors.size()));
            }
            String line = "op=" + (deform ? "deform2d" : "conv2d") + " n=" + (1 + rnd.nextInt(2)) + " c=" + c
                    + " h=" + (1 + rnd.nextInt(20)) + " w=" + (1 + rnd.nextInt(20)) + " k=" + k
                    + " kh=" + kh + " kw=" + kw + " stride=" + (1 + rnd.nextInt(3)) + "," + (1 + rnd.nextInt(3))
                    + " pad=" + rnd.nextInt(5) + "," + rnd.nextInt(5) + " dil=" + (1 + rnd.nextInt(4)) + ","
                    + (1 + rnd.nextInt(4)) + " groups=" + groups
                    + (deform ? " og=" + og + " mask=" + rnd.nextInt(2) : "")
                    + " bias=" + rnd.nextInt(2) + " relu=" + rnd.nextInt(2);
            try {
                Problems.parse(line);
                specs.add(line);
            } catch (IllegalArgumentException tooLargeKernel) {
                // the kernel span exceeds the padded input: draw again
            }
        }
        return specs.stream();
    }

    /**
     * The chosen algorithm, plus the two generic GEMM paths on every conv2d (they take any), on
     * a depthwise conv2d with one output channel per input channel both depthwise paths,
     * {@code cpu-depthwise-cover} where its kernel covers the plane and {@code cpu-depthwise-flat}
     * where it runs the spec (stride 1, OW == W).
     */
    private static List<String> algorithms(Convolution spec) {
        List<String> names = new ArrayList<>();
        names.add(CpuBackend.algorithmFor(spec));
        if (DepthwiseCoverConv.covers(spec) && !names.contains("cpu-depthwise-cover")) {
            names.add("cpu-depthwise-cover");
        }
        if (DepthwiseFlatConv.fits(spec) && !names.contains("cpu-depthwise-flat")) {
            names.add("cpu-depthwise-flat");
        }
        if (spec.isDeformable()) {
            for (String deform : new String[] {"cpu-deform-lanes", "cpu-deform-gemm"}) {
                if (!names.contains(deform) && compiles(spec, deform)) {
                    names.add(deform);
                }
            }
        }
        if (!spec.isDeformable() && spec.isDepthwise() && spec.k() == spec.c()) {
            for (String depthwise : new String[] {"cpu-depthwise-blocked", "cpu-depthwise"}) {
                if (!names.contains(depthwise)) {
                    names.add(depthwise);
                }
            }
        }
        if (!spec.isDeformable()) {
            for (String generic : new String[] {"cpu-gemm", "cpu-implicit-gemm"}) {
                if (!names.contains(generic)) {
                    names.add(generic);
                }
            }
        }
        return names;
    }

    /** Whether {@code algorithm} takes {@code spec} on the first backend (cpu-deform-lanes refuses what overflows its tile). */
    private static boolean compiles(Convolution spec, String algorithm) {
        try (CpuPlan plan = BACKENDS.get(0).compile(spec, algorithm)) {
            return plan != null;
        } catch (DeviceException e) {
            return false;
        }
    }

    @ParameterizedTest
    @MethodSource("edgeSpecs")
    void edgeShapesMatchReference(String line) {
        checkAllPaths(Problems.parse(line), 11);
    }

    @ParameterizedTest
    @MethodSource("randomSpecs")
    void randomShapesMatchReference(String line) {
        checkAllPaths(Problems.parse(line), 23);
    }

    private static void checkAllPaths(Convolution spec, long seed) {
        Args ints = Tensors.args(spec, seed, true, 2);
        Args floats = Tensors.args(spec, seed + 1, false, 2.5);
        float[] refInts = CrossCheck.reference(spec, ints);
        float[] refFloats = CrossCheck.reference(spec, floats);
        for (String algorithm : algorithms(spec)) {
            float[] firstFloats = null;
            for (CpuBackend backend : BACKENDS) {
                String where = algorithm + "/" + label(backend) + " on " + spec;
                try (CpuPlan plan = backend.compile(spec, algorithm)) {
                    assertEquals(algorithm, plan.algorithm(), where);
                    long bound = 4 * Scratch.boundFloats(spec, backend.threads());
                    assertTrue(plan.scratchBytes() <= bound, () -> plan.scratchBytes() + " bytes of scratch, above "
                            + bound + ", " + where);
                    float[] out = Primitives.output(backend, plan, spec, ints);
                    int bad = Tensors.firstMismatch(refInts, out);
                    assertEquals(-1, bad, () -> "integer inputs must match exactly, " + where + ": element " + bad
                            + " is " + out[bad] + ", reference " + refInts[bad]);
                    float[] outF = Primitives.output(backend, plan, spec, floats);
                    double err = Tensors.relativeL2(refFloats, outF);
                    assertTrue(err <= TOLERANCE, () -> "relative L2 error " + err + " > " + TOLERANCE + ", " + where);
                    if (plan instanceof GemmConv || plan instanceof ImplicitGemmConv
                            || plan instanceof DepthwiseBlockedConv || plan instanceof DeformLanesConv) {
                        checkBoundWeights(backend, plan, spec, ints, refInts, outF, floats, where);
                    }
                    if (firstFloats == null) {
                        firstFloats = outF;
                    } else {
                        // Both kernel sets add the same products in the same order with FMAs.
                        float[] first = firstFloats;
                        int diff = Tensors.firstMismatch(first, outF);
                        assertEquals(-1, diff, () -> "vector and scalar kernels differ at " + diff + ", " + where);
                    }
                }
            }
        }
    }

    /**
     * With its weights bound, a plan that packs them when bound (a GEMM on a small map runs the
     * channel-lane GEMM; other GEMMs, but a 1x1 finished in registers, read panels of 8 channels, on
     * the vector kernels, where a group has 8 channels or more; the blocked depthwise path lays them
     * out in blocks once) gives integer inputs exactly, float inputs as with the weights passed (the
     * same sums in the same order; compared with {@link Tensors#firstMismatch}, which holds +0 and -0
     * equal), and a call that passes other weights uses those without disturbing the bound ones;
     * binding again replaces them.
     */
    private static void checkBoundWeights(CpuBackend backend, CpuPlan plan, Convolution spec, Args ints,
                                          float[] refInts, float[] unbound, Args floats, String where) {
        plan.bind(Arg.WEIGHTS, backend.wrap((HostTensor) ints.get(Arg.WEIGHTS)));
        boolean panelsExpected = "vector".equals(backend.kernelName()) && spec.kPerGroup() >= 8;
        if (plan instanceof ImplicitGemmConv implicit) {
            assertEquals(panelsExpected, implicit.usesPanels(), "weight panels, " + where);
        } else if (plan instanceof GemmConv gemm) {
            assertEquals(panelsExpected && gemm.panelsPay(), gemm.usesPanels(), "weight panels, " + where);
            // Every GEMM that packs its columns (a kernel larger than 1x1, off the channel lanes) reads them.
            assertTrue(gemm.panelsPay() || gemm.usesLanes() || spec.kh() * spec.kw() == 1, "no panels, " + where);
        }
        float[] out = Primitives.output(backend, plan, spec, Tensors.without(ints, Arg.WEIGHTS));
        int bad = Tensors.firstMismatch(refInts, out);
        assertEquals(-1, bad, () -> "bound weights, integer inputs must match exactly, " + where
                + ": element " + bad + " is " + out[bad] + ", reference " + refInts[bad]);
        float[] passed = Primitives.output(backend, plan, spec, floats);
        int diff = Tensors.firstMismatch(unbound, passed);
        assertEquals(-1, diff, () -> "weights passed with others bound differ at " + diff + ", " + where);
        plan.bind(Arg.WEIGHTS, backend.wrap((HostTensor) floats.get(Arg.WEIGHTS)));
        float[] bound = Primitives.output(backend, plan, spec, Tensors.without(floats, Arg.WEIGHTS));
        int lanesDiff = Tensors.firstMismatch(unbound, bound);
        assertEquals(-1, lanesDiff, () -> "weights bound and passed differ at " + lanesDiff + ", " + where);
    }

    /**
     * The blocked depthwise path skips the taps that read padding; an infinite weight on such a
     * tap must still make the output NaN (inf * 0), as the reference and the other paths do, with
     * the weights passed or bound (packed when bound, their finiteness checked then), on a kernel
     * that covers the plane (one pass over every input pixel) and on one that does not.
     */
    @ParameterizedTest
    @ValueSource(strings = {"op=conv2d n=1 c=3 h=3 w=4 k=3 kh=5 kw=5 pad=2 groups=3 bias=1",
        "op=conv2d n=1 c=3 h=3 w=3 k=3 kh=5 kw=5 pad=2 groups=3 bias=1",
        "op=conv2d n=1 c=17 h=3 w=5 k=17 kh=5 kw=9 pad=2,4 groups=17 bias=1"})
    void blockedDepthwiseKeepsTheNaNOfAnInfiniteWeightOverPadding(String line) {
        Convolution spec = Problems.parse(line);
        Args args = Tensors.args(spec, 7, false, 1);
        float[] w = ((dev.convcl.HostTensor) args.get(dev.convcl.Arg.WEIGHTS)).array();
        // Channel 1, tap (0, 0): padding for output (0, 0). With 17 channels also channel 16 (the
        // second block of 16 lanes, alone in it), whose tap (0, 0) is padding for output (0, 0).
        int kk = spec.kh() * spec.kw();
        w[kk] = Float.POSITIVE_INFINITY;
        if (spec.c() > 16) {
            w[16 * kk] = Float.NEGATIVE_INFINITY;
        }
        float[] ref = CrossCheck.reference(spec, args);
        int first = spec.outH() * spec.outW(); // channel 1's output (0, 0)
        for (CpuBackend backend : BACKENDS) {
            for (boolean bound : new boolean[] {false, true}) {
                String where = label(backend) + (bound ? ", weights bound" : ", weights passed") + " on " + spec;
                try (CpuPlan plan = backend.compile(spec, "cpu-depthwise-blocked")) {
                    if (bound) {
                        plan.bind(Arg.WEIGHTS, backend.wrap((HostTensor) args.get(Arg.WEIGHTS)));
                    }
                    float[] out = Primitives.output(backend, plan, spec, bound ? Tensors.without(args, Arg.WEIGHTS) : args);
                    for (int i = 0; i < ref.length; i++) {
                        int at = i;
                        assertEquals(Float.isNaN(ref[i]), Float.isNaN(out[i]), () -> "element " + at + ": " + out[at]
                                + ", reference " + ref[at] + ", " + where);
                        if (!Float.isNaN(ref[i]) && Float.isFinite(ref[i])) {
                            assertEquals(ref[i], out[i], 1e-4f * (1 + Math.abs(ref[i])), () -> "element " + at + ", "
                                    + where);
                        }
                    }
                    assertTrue(Float.isNaN(out[first]), "channel 1's first output reads padding with the infinite "
                            + "weight, " + where);
                    if (spec.c() > 16) {
                        assertTrue(Float.isNaN(out[16 * first]), "channel 16's first output, " + where);
                    }
                }
            }
        }
    }

    /**
     * The cover path computes no tap over padding; an infinite weight on such a tap must still
     * make the output NaN (inf * 0), and where it meets the image, infinite, as in the reference.
     */
    @Test
    void coverDepthwiseKeepsTheNaNOfAnInfiniteWeightOverPadding() {
        Convolution spec = Problems.parse("op=conv2d n=1 c=3 h=3 w=3 k=3 kh=5 kw=5 pad=2 groups=3 bias=1");
        assertTrue(DepthwiseCoverConv.covers(spec), "the 5x5 kernel covers the 3x3 plane: " + spec);
        Args args = Tensors.args(spec, 7, false, 1);
        float[] w = ((dev.convcl.HostTensor) args.get(dev.convcl.Arg.WEIGHTS)).array();
        w[25 + 0] = Float.POSITIVE_INFINITY; // channel 1, tap (0, 0): in the image for output (2, 2) only
        float[] ref = CrossCheck.reference(spec, args);
        for (CpuBackend backend : BACKENDS) {
            try (CpuPlan plan = backend.compile(spec, "cpu-depthwise-cover")) {
                float[] out = Primitives.output(backend, plan, spec, args);
                for (int i = 0; i < ref.length; i++) {
                    int at = i;
                    assertEquals(Float.isNaN(ref[i]), Float.isNaN(out[i]), () -> "element " + at + ": " + out[at]
                            + ", reference " + ref[at] + ", " + label(backend) + " on " + spec);
                    if (!Float.isNaN(ref[i])) {
                        assertEquals(ref[i], out[i], 1e-4f * (1 + Math.abs(ref[i])), () -> "element " + at + ", "
                                + label(backend) + " on " + spec);
                    }
                }
                assertTrue(Float.isNaN(out[9]), "channel 1's first output reads padding with the infinite weight");
                assertTrue(Float.isInfinite(out[9 + 8]), "channel 1's last output reads the image with it: " + out[17]);
            }
        }
    }

    /** Tasks and the narrowest task's columns of an {@link ImplicitGemmConv#split}. */
    private static int[] tasksAndColumns(int items, int m, int qBlocks, int q, int threads) {
        int[] cut = ImplicitGemmConv.split(items, m, qBlocks, q, threads);
        int tasks = items * cut[0] * ((m + cut[1] - 1) / cut[1]);
        return new int[] {tasks, qBlocks / cut[0] * q};
    }

    @Test
    void implicitGemmCutsShortRowsByOutputChannels() {
        // ResNet-50 res4 3x3 at batch 1: 256 output channels, 14 x 15 wide columns = 14 blocks of 16.
        int[] res4 = tasksAndColumns(1, 256, 14, 16, 2);
        assertTrue(res4[0] >= 2 && res4[0] % 2 == 0, "tasks " + res4[0] + " not shared evenly by 2 threads");
        assertTrue(res4[1] >= 64, "a task uses its rows of the weight for only " + res4[1] + " columns");
        // Inception 1x7 (128 channels, 17 x 20 = 22 blocks) on 3 threads: every thread busy, and
        // each float a task fetches (rows of A, columns of B) feeds at least a vector's 16 multiply-adds.
        int[] cut = ImplicitGemmConv.split(1, 128, 22, 16, 3);
        int[] inception = tasksAndColumns(1, 128, 22, 16, 3);
        assertTrue(inception[0] >= 3, "tasks " + inception[0] + " leave a thread idle");
        double reuse = (double) cut[1] * inception[1] / (cut[1] + inception[1]);
        assertTrue(reuse >= 16, cut[1] + " rows x " + inception[1] + " columns: " + reuse + " multiply-adds per fetch");
        // An AVX2-sized quantum (8): res4's wide rows are 27 blocks.
        int[] avx2 = tasksAndColumns(1, 256, 27, 8, 2);
        assertTrue(avx2[0] >= 2 && avx2[1] >= 64, "AVX2 res4: " + avx2[0] + " tasks of " + avx2[1] + " columns");
        // The edge shape above that is cut by channels: 60 rows, 3 x 4 wide columns = 1 block.
        assertTrue(ImplicitGemmConv.split(1, 60, 1, 16, 2)[1] < 60, "k=60 on 3x3 is not cut by channels");
        // Many images: whole items per task, no cut needed.
        assertEquals(60, ImplicitGemmConv.split(32, 60, 1, 16, 2)[1]);
    }

    /** The edge shapes above that the implicit GEMM pads group by group on every test backend. */
    private static final List<String> PER_GROUP_SPECS = List.of(
            "op=conv2d n=1 c=48 h=7 w=9 k=48 kh=3 kw=3 pad=1 groups=16 bias=1",
            "op=conv2d n=1 c=192 h=9 w=9 k=240 kh=3 kw=3 pad=1 groups=12 relu=1",
            "op=conv2d n=2 c=26 h=11 w=5 k=39 kh=3 kw=3 stride=2 pad=1 groups=13 relu=1",
            "op=conv2d n=1 c=32 h=10 w=12 k=16 kh=3 kw=3 pad=2 dil=2 groups=16",
            "op=conv2d n=1 c=24 h=40 w=37 k=24 kh=3 kw=3 pad=1 groups=12 bias=1");

    /**
     * The implicit GEMM pads one (image, group) per task for ResNeXt's grouped 3x3 layers on 2
     * threads, keeps the shared padded copy for dense layers and for too few groups per thread,
     * and the edge shapes that cross-check the per-group path really take it on every backend.
     */
    @Test
    void implicitGemmPadsManySmallGroupsGroupByGroup() {
        try (CpuBackend two = new CpuBackend(2)) {
            for (String line : new String[] {"op=conv2d n=1 c=512 h=14 w=14 k=512 kh=3 kw=3 pad=1 groups=32",
                    "op=conv2d n=1 c=256 h=28 w=28 k=256 kh=3 kw=3 pad=1 groups=32",
                    "op=conv2d n=1 c=128 h=56 w=56 k=128 kh=3 kw=3 pad=1 groups=32"}) {
                try (CpuPlan plan = two.compile(Problems.parse(line), "cpu-implicit-gemm")) {
                    assertTrue(((ImplicitGemmConv) plan).perGroup(), "not padded per group: " + line);
                }
            }
            for (String line : new String[] {"op=conv2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 pad=1",
                    "op=conv2d n=1 c=32 h=7 w=7 k=32 kh=3 kw=3 pad=1 groups=4"}) {
                try (CpuPlan plan = two.compile(Problems.parse(line), "cpu-implicit-gemm")) {
                    assertFalse(((ImplicitGemmConv) plan).perGroup(), "padded per group: " + line);
                }
            }
        }
        for (String line : PER_GROUP_SPECS) {
            assertTrue(edgeSpecs().anyMatch(line::equals), "not an edge shape: " + line);
            for (CpuBackend backend : BACKENDS) {
                try (CpuPlan plan = backend.compile(Problems.parse(line), "cpu-implicit-gemm")) {
                    assertTrue(((ImplicitGemmConv) plan).perGroup(), "not padded per group on " + label(backend)
                            + ": " + line);
                }
            }
        }
    }

    private static final List<String> LANE_SPECS = List.of(
            "op=conv2d n=1 c=64 h=7 w=7 k=100 kh=3 kw=3 pad=1 bias=1 relu=1",
            "op=conv2d n=3 c=72 h=5 w=5 k=37 kh=1 kw=1 bias=1",
            "op=conv2d n=2 c=32 h=13 w=13 k=64 kh=3 kw=3 stride=2 pad=1 groups=2 post=sum+relu",
            "op=conv2d n=5 c=80 h=6 w=6 k=16 kh=1 kw=1",
            "op=conv2d n=1 c=64 h=7 w=7 k=600 kh=1 kw=1 bias=1",
            "op=conv2d n=6 c=80 h=7 w=7 k=40 kh=3 kw=3 pad=1 relu=1",
            "op=conv2d n=1 c=128 h=5 w=5 k=64 kh=1 kw=1 groups=2 bias=1",
            "op=deform2d n=1 c=16 h=7 w=7 k=100 kh=3 kw=3 pad=1 og=2 mask=1 bias=1",
            "op=deform2d n=3 c=16 h=5 w=5 k=64 kh=3 kw=3 pad=1 groups=2 og=2 mask=0 relu=1",
            "op=deform2d n=6 c=80 h=7 w=7 k=20 kh=3 kw=3 pad=1 og=2 mask=1");

    /**
     * GEMM plans take the channel-lane GEMM on small maps that fill column blocks badly (ResNet's
     * 7x7 stage, MobileNet's 7x7 1x1 layers, DCNv2's deformable stage 5), not on 8x8 or 14x14 maps, not with a shallow depth;
     * the edge shapes that check it take it on every backend whose kernels have it.
     */
    @Test
    void gemmUsesChannelLanesOnSmallMaps() {
        try (CpuBackend two = new CpuBackend(2, Kernels.scalar())) {
            for (String line : new String[] {"op=conv2d n=1 c=512 h=7 w=7 k=512 kh=3 kw=3 pad=1",
                    "op=conv2d n=8 c=320 h=7 w=7 k=1280 kh=1 kw=1 bias=1",
                    "op=deform2d n=1 c=512 h=7 w=7 k=512 kh=3 kw=3 pad=1 og=1 mask=1"}) {
                String algorithm = line.startsWith("op=deform2d") ? "cpu-deform-gemm"
                        : line.contains("kh=1") ? "cpu-1x1" : "cpu-gemm";
                assertTrue(gemmPlan(two, line, algorithm, GemmConv::usesLanes), "no channel lanes: " + line);
            }
            for (String line : new String[] {"op=conv2d n=1 c=512 h=8 w=8 k=512 kh=1 kw=1",
                    "op=conv2d n=1 c=256 h=14 w=14 k=256 kh=1 kw=1", "op=conv2d n=1 c=32 h=7 w=7 k=512 kh=1 kw=1"}) {
                assertFalse(gemmPlan(two, line, "cpu-1x1", GemmConv::usesLanes), "channel lanes: " + line);
            }
        }
        for (String line : LANE_SPECS) {
            assertTrue(edgeSpecs().anyMatch(line::equals), "not an edge shape: " + line);
            Convolution spec = Problems.parse(line);
            for (CpuBackend backend : BACKENDS) {
                boolean any = false;
                for (String algorithm : algorithms(spec)) {
                    try (CpuPlan plan = backend.compile(spec, algorithm)) {
                        any |= plan instanceof GemmConv gemm && gemm.usesLanes();
                    }
                }
                assertEquals(backend.lanes(), any, "channel lanes on " + label(backend) + ": " + line);
            }
        }
    }

    /** What {@code property} says of the GEMM plan {@code backend} compiles for {@code line}. */
    private static boolean gemmPlan(CpuBackend backend, String line, String algorithm, Predicate<GemmConv> property) {
        try (CpuPlan plan = backend.compile(Problems.parse(line), algorithm)) {
            return property.test((GemmConv) plan);
        }
    }

    private static final List<String> FOLDED_SPECS = List.of(
            "op=conv2d n=5 c=7 h=2 w=3 k=70 kh=1 kw=1 bias=1 relu=1",
            "op=conv2d n=9 c=33 h=1 w=7 k=1100 kh=1 kw=1 bias=1",
            "op=conv2d n=3 c=12 h=2 w=2 k=18 kh=1 kw=1 groups=3 post=sum+relu6",
            "op=conv2d n=8 c=40 h=1 w=1 k=100 kh=1 kw=1 bias=1 post=sum",
            "op=conv2d n=3 c=5 h=1 w=1 k=11 kh=1 kw=1 relu=1",
            // strided: the compact copy's 3x2 planes, folded (6 pixels: fewer than a vector of 8 or 16
            // lanes, so on AVX2 as on AVX-512)
            "op=conv2d n=3 c=6 h=5 w=4 k=10 kh=1 kw=1 stride=2 groups=2 bias=1");

    /**
     * A 1x1 layer runs its GEMM's columns across the images where an image's pixels would leave most
     * of a column block empty (a classifier on a 1x1 map, 2x2 maps, at batch 8; a strided 1x1's small
     * output maps too, read from its compact copy), not at batch 1, not on 7x7 or larger maps; and the
     * edge shapes that cross-check folding really fold on every backend.
     */
    @Test
    void pointwiseFoldsImagesIntoColumnsOnSmallMaps() {
        try (CpuBackend two = new CpuBackend(2, Kernels.scalar())) {
            for (String line : new String[] {"op=conv2d n=8 c=1280 h=1 w=1 k=1000 kh=1 kw=1 bias=1",
                    "op=conv2d n=8 c=576 h=2 w=2 k=256 kh=1 kw=1 bias=1"}) {
                assertTrue(gemmPlan(two, line, "cpu-1x1", GemmConv::foldsImages), "not folded: " + line);
            }
            for (String line : new String[] {"op=conv2d n=1 c=1280 h=1 w=1 k=1000 kh=1 kw=1 bias=1",
                    "op=conv2d n=8 c=320 h=7 w=7 k=1280 kh=1 kw=1", "op=conv2d n=8 c=96 h=56 w=56 k=24 kh=1 kw=1",
                    "op=conv2d n=8 c=64 h=14 w=14 k=128 kh=1 kw=1 stride=2"}) {
                assertFalse(gemmPlan(two, line, "cpu-1x1", GemmConv::foldsImages), "folded: " + line);
            }
        }
        for (String line : FOLDED_SPECS) {
            assertTrue(edgeSpecs().anyMatch(line::equals), "not an edge shape: " + line);
            for (CpuBackend backend : BACKENDS) {
                assertTrue(gemmPlan(backend, line, "cpu-1x1", GemmConv::foldsImages),
                        "not folded on " + label(backend) + ": " + line);
            }
        }
    }

    /**
     * What the threads of a plan's first call hold in their {@link Workspace}s afterwards, starting
     * empty (a new backend's helpers and a new calling thread), is at most the scratch the plan
     * states: selection keeps {@link CpuPlan#scratchBytes} within {@link Scratch#boundFloats}, so an
     * undercount lets a plan hold more than the bound. Every edge shape and algorithm that takes
     * it, on 1 and 3 threads, both kernel sets, with the weights passed and bound (the channel-lane
     * GEMM runs only on bound weights).
     *
     * <p>Which threads take part varies from call to call: on an idle machine the caller often runs
     * a small call's tasks alone before a helper has woken up, and an undercount that shows only
     * when the helpers take part (a grouped 1x1 whose items share their channel ranges out one
     * after another: 2 probes in 300) made this test fail now and then. So the helpers are woken
     * and left spinning just before the measured call ({@link #wakeHelpers}), which they then join
     * at once.
     */
    @Test
    void workspaceAllocationsStayWithinTheStatedScratch() throws InterruptedException {
        List<Kernels> kernelSets = new ArrayList<>(List.of(Kernels.scalar()));
        if (Kernels.vectorOrNull() != null) {
            kernelSets.add(Kernels.vectorOrNull());
        }
        List<String> over = new ArrayList<>();
        int probes = 0, measured = 0;
        for (String line : edgeSpecs().toList()) {
            Convolution spec = Problems.parse(line);
            Args args = Tensors.args(spec, 5, false, 1);
            for (String algorithm : algorithms(spec)) {
                for (Kernels kernels : kernelSets) {
                    for (int threads : new int[] {1, 3}) {
                        for (boolean bound : new boolean[] {false, true}) {
                            String where = algorithm + " (" + kernels.name() + ", " + threads + " threads, weights "
                                    + (bound ? "bound" : "passed") + ") on " + spec;
                            long[] floats = firstCallAllocations(spec, algorithm, kernels, threads, bound, args, where);
                            measured += floats[0] > 0 ? 1 : 0;
                            probes++;
                            if (floats[0] > floats[1]) {
                                over.add("holds " + floats[0] + " floats after its first call, states " + floats[1]
                                        + ": " + where);
                            }
                        }
                    }
                }
            }
        }
        // Most plans take workspace arrays (cpu-direct and a few single-task paths do not).
        assertTrue(measured * 2 > probes, measured + " of " + probes + " calls held workspace floats");
        assertEquals(List.of(), over, () -> over.size() + " plans hold more than they state:\n"
                + String.join("\n", over));
    }

    /**
     * Runs a call of a few hundred µs of spinning tasks (no workspace arrays) on {@code pool}, so
     * that its helpers have all woken up and spin, waiting for the next call, when it returns.
     */
    private static void wakeHelpers(WorkerPool pool) {
        Parallel.forEach(pool, 8 * pool.getParallelism(), i -> {
            long end = System.nanoTime() + 50_000;
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        });
    }

    /** {held, stated} floats after one call of a new plan on a new backend, from a new thread. */
    private static long[] firstCallAllocations(Convolution spec, String algorithm, Kernels kernels, int threads,
                                               boolean bound, Args args, String where) throws InterruptedException {
        long[] floats = new long[2];
        Throwable[] failure = new Throwable[1];
        try (CpuBackend backend = new CpuBackend(threads, kernels)) {
            Thread caller = new Thread(() -> {
                try (CpuPlan plan = backend.compile(spec, algorithm)) {
                    backend.awaitKernelWarmup(); // the warm-up thread's own workspace allocations
                    Args call = args;
                    if (bound) {
                        plan.bind(Arg.WEIGHTS, backend.wrap((HostTensor) args.get(Arg.WEIGHTS)));
                        call = Tensors.without(args, Arg.WEIGHTS);
                    }
                    wakeHelpers(backend.pool());
                    long before = Workspace.heldFloats();
                    Primitives.output(backend, plan, spec, call);
                    floats[0] = Workspace.heldFloats() - before;
                    floats[1] = plan.scratchBytes() / 4;
                } catch (Throwable t) {
                    failure[0] = t;
                }
            }, "scratch-probe");
            caller.start();
            caller.join();
        }
        if (failure[0] != null) {
            fail(where + ": " + failure[0], failure[0]);
        }
        return floats;
    }

    /**
     * Folding the images into one GEMM's columns changes which columns share a tile, not the sums:
     * each output adds the same products in the same order as the images run one by one (an n=1
     * plan never folds), so the outputs agree bit for bit ({@link Tensors#firstMismatch}).
     */
    @Test
    void foldedImagesGiveTheImageByImageResults() {
        for (String line : FOLDED_SPECS) {
            Convolution spec = Problems.parse(line), one = Problems.parse(line.replaceFirst("n=\\d+", "n=1"));
            Args args = Tensors.args(spec, 23, false, 1);
            int per = (int) one.inputSize(), outPer = (int) one.outputSize();
            for (CpuBackend backend : BACKENDS) {
                float[] folded;
                try (CpuPlan plan = backend.compile(spec, "cpu-1x1")) {
                    assertTrue(plan instanceof GemmConv g && g.foldsImages(), "not folded: " + line);
                    folded = Primitives.output(backend, plan, spec, args);
                }
                try (CpuPlan plan = backend.compile(one, "cpu-1x1")) {
                    for (int n = 0; n < spec.n(); n++) {
                        Args.Builder b = Args.builder();
                        b.src(Tensor.of(slice(Tensors.array(args, Arg.SRC), n, per), one.inputShape()));
                        b.weights(Tensor.of(Tensors.array(args, Arg.WEIGHTS), one.weightShape()));
                        if (one.bias()) {
                            b.bias(Tensor.of(Tensors.array(args, Arg.BIAS), one.biasShape()));
                        }
                        if (one.postOps().hasSum()) {
                            b.sum(Tensor.of(slice(Tensors.array(args, Arg.SUM), n, outPer), one.outputShape()));
                        }
                        float[] image = Primitives.output(backend, plan, one, b.dst(Tensors.poisoned(one)).build());
                        int bad = Tensors.firstMismatch(slice(folded, n, outPer), image);
                        int at = n;
                        assertEquals(-1, bad, () -> "image " + at + " folded and alone differ at " + bad + " on "
                                + label(backend) + ": " + line);
                    }
                }
            }
        }
    }

    private static float[] slice(float[] a, int n, int per) {
        return Arrays.copyOfRange(a, n * per, (n + 1) * per);
    }

    /**
     * Whether a deformable call's mask is folded into the corner weights is decided once for the
     * call: with one infinite mask value, the pixel tiles (their count follows the threads) and the
     * channel-lane GEMM's whole image (weights bound) round every sample alike, and the non-finite
     * outputs lie where the reference has them (a reviewer's case: decided per tile, 281 of 625
     * outputs differed between weights passed and bound on 2 threads).
     */
    @Test
    void deformableMaskFoldingDoesNotDependOnTheTiling() {
        Convolution spec = Problems.parse("op=deform2d n=1 c=9 h=5 w=5 k=25 kh=3 kw=3 pad=1 og=1 mask=1");
        Args args = Tensors.args(spec, 5, false, 2.5);
        Tensors.array(args, Arg.MASK)[24] = Float.POSITIVE_INFINITY;
        float[] ref = CrossCheck.reference(spec, args);
        for (CpuBackend backend : BACKENDS) {
            String where = label(backend) + " on " + spec;
            try (CpuPlan plan = backend.compile(spec, "cpu-deform-gemm")) {
                assertEquals(backend.lanes(), ((GemmConv) plan).usesLanes(), "channel lanes on " + where);
                float[] passed = Primitives.output(backend, plan, spec, args);
                assertEquals(null, NonFinite.disagreement(ref, passed), () -> "an infinite mask value, "
                        + where + ": reference has " + NonFinite.census(ref) + ", the plan " + NonFinite.census(passed));
                plan.bind(Arg.WEIGHTS, backend.wrap((HostTensor) args.get(Arg.WEIGHTS)));
                float[] bound = Primitives.output(backend, plan, spec, Tensors.without(args, Arg.WEIGHTS));
                int diff = Tensors.firstMismatch(passed, bound);
                assertEquals(-1, diff, () -> "weights bound and passed differ at " + diff + " (" + passed[diff]
                        + " against " + bound[diff] + "), " + where);
            }
        }
    }

    /**
     * The channel-lane GEMM multiplies the transposed bound weights by packed columns whose padding
     * is zeros: an infinite weight on a tap over padding makes those outputs NaN (inf * 0) and the
     * others infinite, a NaN weight a whole output channel NaN, exactly where the reference has them.
     */
    @Test
    void channelLanesKeepTheNonFiniteValuesOfBoundWeights() {
        Convolution spec = Problems.parse("op=conv2d n=1 c=64 h=7 w=7 k=100 kh=3 kw=3 pad=1 bias=1");
        Args args = Tensors.args(spec, 31, false, 1);
        float[] w = Tensors.array(args, Arg.WEIGHTS);
        int depth = spec.c() * 9;
        w[5 * depth + 3 * 9] = Float.POSITIVE_INFINITY;   // channel 5, input 3, tap (0, 0): padding on row 0 and column 0
        w[40 * depth + 100] = Float.NaN;                   // channel 40
        w[99 * depth + 7 * 9 + 4] = Float.NEGATIVE_INFINITY; // channel 99, input 7, the centre tap
        float[] ref = CrossCheck.reference(spec, args);
        for (CpuBackend backend : BACKENDS) {
            try (CpuPlan plan = backend.compile(spec, "cpu-gemm")) {
                assertEquals(backend.lanes(), ((GemmConv) plan).usesLanes(), "channel lanes on " + label(backend));
                plan.bind(Arg.WEIGHTS, backend.wrap((HostTensor) args.get(Arg.WEIGHTS)));
                float[] out = Primitives.output(backend, plan, spec, Tensors.without(args, Arg.WEIGHTS));
                assertEquals(null, NonFinite.disagreement(ref, out), () -> "bound non-finite weights on "
                        + label(backend) + ": reference has " + NonFinite.census(ref) + ", the plan "
                        + NonFinite.census(out));
                assertTrue(Float.isNaN(out[5 * 49]) && Float.isInfinite(out[5 * 49 + 8]),
                        "channel 5: NaN where the infinite tap reads padding, infinite inside");
            }
        }
    }

    @Test
    void chosenAlgorithmsFollowTheSpec() {
        assertEquals("cpu-1x1", CpuBackend.algorithmFor(Problems.parse("op=conv2d n=1 c=4 h=5 w=5 k=4 kh=1 kw=1 stride=2")));
        // Wide rows would waste (28 + 4) / 28 - 1 = 14% of 512 rows here, 73 multiply-adds per packed element: packed tiles.
        assertEquals("cpu-gemm", CpuBackend.algorithmFor(Problems.parse("op=conv2d n=1 c=512 h=28 w=28 k=512 kh=3 kw=3 pad=4 dil=4")));
        // 4 output channels per group (ResNeXt): packing would not pay.
        assertEquals("cpu-implicit-gemm", CpuBackend.algorithmFor(Problems.parse("op=conv2d n=1 c=128 h=56 w=56 k=128 kh=3 kw=3 pad=1 groups=32")));
        // 3 input channels (a network's first layer) and little waste.
        assertEquals("cpu-implicit-gemm", CpuBackend.algorithmFor(Problems.parse("op=conv2d n=1 c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3")));
        assertEquals("cpu-depthwise", CpuBackend.algorithmFor(Problems.parse("op=conv2d n=1 c=4 h=5 w=5 k=8 kh=3 kw=3 groups=4")));
        // RepLKNet's 13x13 on a 7x7 map: every output's taps are 7x7 of 13x13 in the image, and
        // its rows are 7 of a vector's lanes. MobileNetV2's 3x3 on 14x14 keeps the row kernel.
        // Its kernel covers the plane: a dense 49 x 49 product per channel, on NCHW planes 392
        // FMAs of 8 or 16 lanes; on channel blocks (weights laid out when bound) 49 * 49 / q plus
        // copies of the input and output: 346 per channel on 16 lanes (blocks chosen), 496 on 8.
        Convolution dw13 = Problems.parse("op=conv2d n=1 c=1024 h=7 w=7 k=1024 kh=13 kw=13 pad=6 groups=1024");
        assertEquals(Kernels.detect().quantum() >= 16 ? "cpu-depthwise-blocked" : "cpu-depthwise-cover",
                CpuBackend.algorithmFor(dw13));
        assertTrue(DepthwiseCoverConv.pays(dw13, 8) && !DepthwiseCoverConv.pays(dw13, 16), "dw13 on AVX2 and AVX-512");
        assertTrue(DepthwiseBlockedConv.pays(dw13, 16), "dw13 on channel blocks rather than rows of 7 of 16 lanes");
        // MobileNetV2's 3x3 on 14x14 and 7x7: flat planes (no copy per row); on 56x56 rows.
        assertEquals("cpu-depthwise-flat", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=384 h=14 w=14 k=384 kh=3 kw=3 pad=1 groups=384")));
        assertEquals("cpu-depthwise-flat", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=8 c=960 h=7 w=7 k=960 kh=3 kw=3 pad=1 groups=960")));
        assertEquals("cpu-depthwise", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=144 h=56 w=56 k=144 kh=3 kw=3 pad=1 groups=144")));
        // MobileNetV3's 5x5 at stride 1 on 28x28 and 7x7 flat too (25 weights in registers); at
        // stride 2 rows.
        assertEquals("cpu-depthwise-flat", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=96 h=28 w=28 k=96 kh=5 kw=5 pad=2 groups=96")));
        assertEquals("cpu-depthwise-flat", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=8 c=576 h=7 w=7 k=576 kh=5 kw=5 pad=2 groups=576")));
        assertEquals("cpu-depthwise", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=288 h=14 w=14 k=288 kh=5 kw=5 stride=2 pad=2 groups=288")));
        // Never with the plain-Java kernels (no jdk.incubator.vector), whose flat taps run about
        // 10x slower than their row loops.
        for (String flat : List.of("op=conv2d n=1 c=96 h=28 w=28 k=96 kh=3 kw=3 pad=1 groups=96",
                "op=conv2d n=1 c=128 h=56 w=56 k=128 kh=5 kw=5 pad=2 groups=128")) {
            Convolution spec = Problems.parse(flat);
            assertFalse(DepthwiseFlatConv.pays(spec, Kernels.scalar()), flat);
            Kernels vector = Kernels.vectorOrNull();
            if (vector != null) {
                assertTrue(DepthwiseFlatConv.pays(spec, vector), flat);
            }
        }
        // RepLKNet's parallel 5x5 on 56x56 flat as well; the cut at 64.
        assertEquals("cpu-depthwise-flat", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=128 h=56 w=56 k=128 kh=5 kw=5 pad=2 groups=128")));
        assertEquals("cpu-depthwise-flat", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=8 h=9 w=64 k=8 kh=5 kw=5 pad=2 groups=8")), "5x5 on rows of 64");
        assertEquals("cpu-depthwise", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=8 h=9 w=65 k=8 kh=5 kw=5 pad=2 groups=8")), "5x5 on rows of 65");
        assertEquals("cpu-depthwise", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=8 h=9 w=33 k=8 kh=3 kw=3 pad=1 groups=8")), "3x3 on rows of 33");
        assertEquals("cpu-depthwise", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=96 h=28 w=28 k=96 kh=3 kw=3 stride=2 pad=1 groups=96")));
        assertEquals("cpu-depthwise-flat", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=576 h=14 w=14 k=576 kh=3 kw=3 stride=2 pad=1 groups=576")));
        // 29x29 on 28x28: 2.1x fewer FMAs on channel blocks, measured 1.3x slower.
        assertEquals("cpu-depthwise", CpuBackend.algorithmFor(Problems.parse(
                "op=conv2d n=1 c=256 h=28 w=28 k=256 kh=29 kw=29 pad=14 groups=256")));
        // 27x27 on 14x14 covers the plane too (rows of 14: one vector of 16 lanes, two of 8).
        Convolution dw27 = Problems.parse("op=conv2d n=1 c=512 h=14 w=14 k=512 kh=27 kw=27 pad=13 groups=512");
        // On 16 lanes about even (3136 against 3185 FMAs a channel); on 8, 6272 against 5586.
        assertEquals(Kernels.detect().quantum() >= 16 ? "cpu-depthwise-cover" : "cpu-depthwise-blocked",
                CpuBackend.algorithmFor(dw27));
        assertTrue(DepthwiseCoverConv.pays(dw27, 16) && !DepthwiseCoverConv.pays(dw27, 8), "dw27 on 16 and 8 lanes");
        assertFalse(DepthwiseCoverConv.covers(Problems.parse(
                "op=conv2d n=1 c=256 h=28 w=28 k=256 kh=29 kw=29 pad=14 groups=256")), "29x29 on 28x28 does not cover");
        // Dense layers on short rows (ResNet-50 res4, Inception 1x7): the wide rows (15 of 14 and
        // 20 of 17 columns) cost fewer multiply-adds than packing every column element.
        assertEquals("cpu-implicit-gemm", CpuBackend.algorithmFor(Problems.parse("op=conv2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 pad=1")));
        assertEquals("cpu-implicit-gemm", CpuBackend.algorithmFor(Problems.parse("op=conv2d n=1 c=128 h=17 w=17 k=128 kh=1 kw=7 pad=0,3")));
        // Deformable: the channels-last sampler and channel-lane GEMM on the vector kernels, where a
        // task's share fits its tile (not with 20000 channels a group: one kernel point's rows of
        // the transposed weights alone are above it); the planar sampler otherwise.
        boolean vector = "vector".equals(Kernels.detect().name());
        assertEquals(vector ? "cpu-deform-lanes" : "cpu-deform-gemm",
                CpuBackend.algorithmFor(Problems.parse("op=deform2d n=1 c=4 h=5 w=5 k=4 kh=1 kw=1")));
        Convolution wide = Problems.parse("op=deform2d n=1 c=20000 h=2 w=2 k=64 kh=3 kw=3 pad=1");
        assertEquals("cpu-deform-gemm", CpuBackend.algorithmFor(wide));
        assertFalse(DeformLanesConv.fits((DeformConv2d) wide, Kernels.scalar()), "20000 channels a group");
        try (CpuBackend cpu = new CpuBackend(1)) {
            DeviceException refused = assertThrows(DeviceException.class, () -> cpu.compile(wide, "cpu-deform-lanes"));
            assertTrue(refused.getMessage().contains("cpu-deform-lanes"), refused.getMessage());
        }
        try (CpuBackend cpu = new CpuBackend(1)) {
            assertEquals("cpu-depthwise", Primitives.selected(cpu, Problems.parse(
                    "op=conv2d n=1 c=4 h=5 w=5 k=4 kh=3 kw=3 groups=4")).name());
        }
    }

    @Test
    void algorithmsRejectSpecsTheyCannotRun() {
        Convolution deform = Problems.parse("op=deform2d n=1 c=4 h=5 w=5 k=4 kh=3 kw=3");
        Convolution dense = Problems.parse("op=conv2d n=1 c=4 h=5 w=5 k=4 kh=3 kw=3");
        try (CpuBackend cpu = new CpuBackend(1, Kernels.scalar())) {
            assertThrows(IllegalArgumentException.class, () -> cpu.compile(deform, "cpu-gemm"));
            assertThrows(IllegalArgumentException.class, () -> cpu.compile(deform, "cpu-implicit-gemm"));
            assertThrows(IllegalArgumentException.class, () -> cpu.compile(dense, "cpu-1x1"));
            assertThrows(IllegalArgumentException.class, () -> cpu.compile(dense, "cpu-depthwise"));
            assertThrows(IllegalArgumentException.class, () -> cpu.compile(dense, "cpu-deform-gemm"));
            assertThrows(IllegalArgumentException.class, () -> cpu.compile(dense, "cpu-deform-lanes"));
            assertThrows(IllegalArgumentException.class, () -> cpu.compile(dense, "cpu-fft"));
        }
    }

    /**
     * Padded copies too large for a Java array are refused cleanly, before anything is allocated;
     * a depthwise plane that large is cut into bands instead.
     */
    @Test
    void scratchLargerThanAJavaArrayIsRefused() {
        // The input fits (2 x 32767^2 < 2^31), its padded copy does not.
        Convolution dense = Problems.parse("op=conv2d n=1 c=2 h=32767 w=32767 k=2 kh=3 kw=3 pad=1");
        Convolution depthwise = Problems.parse("op=conv2d n=1 c=1 h=46340 w=46340 k=1 kh=3 kw=3 pad=1 groups=1");
        assertEquals("cpu-gemm", CpuBackend.algorithmFor(dense), "the implicit GEMM's buffer cannot fit");
        assertEquals("cpu-depthwise", CpuBackend.algorithmFor(depthwise));
        try (CpuBackend cpu = new CpuBackend(1, Kernels.scalar())) {
            DeviceException e = assertThrows(DeviceException.class, () -> cpu.compile(dense, "cpu-implicit-gemm"));
            assertEquals(DeviceException.Kind.OUT_OF_RESOURCES, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains(dense.toString()), e.getMessage());
            try (CpuPlan plan = cpu.compile(depthwise, "cpu-depthwise")) {
                assertTrue(((DepthwiseConv) plan).bands() > 1000, "a 46342-wide padded plane in bands");
                assertTrue(plan.scratchBytes() <= 4 * Scratch.TILE_FLOATS, plan.scratchBytes() + " bytes");
            }
        }
    }

    static Stream<String> nonFiniteSpecs() {
        return Stream.of(
                "op=conv2d n=1 c=3 h=9 w=11 k=5 kh=3 kw=3 pad=2 dil=2 bias=1",
                "op=conv2d n=1 c=6 h=9 w=9 k=4 kh=1 kw=1 stride=2",
                "op=conv2d n=2 c=5 h=5 w=7 k=19 kh=1 kw=1 bias=1",
                "op=conv2d n=1 c=4 h=9 w=9 k=8 kh=3 kw=3 pad=1 groups=4 relu=1",
                "op=conv2d n=2 c=5 h=7 w=7 k=5 kh=3 kw=3 pad=1 groups=5 bias=1",
                "op=conv2d n=1 c=3 h=6 w=5 k=3 kh=5 kw=5 pad=2 groups=3",
                "op=conv2d n=1 c=4 h=9 w=9 k=4 kh=3 kw=3 stride=2 pad=1 groups=4 bias=1",
                "op=conv2d n=1 c=2 h=21 w=21 k=2 kh=7 kw=7 pad=3 stride=2 groups=2",
                "op=deform2d n=1 c=4 h=9 w=9 k=3 kh=3 kw=3 pad=1 og=2 mask=1 bias=1",
                "op=deform2d n=1 c=2 h=7 w=9 k=3 kh=3 kw=3 pad=1 og=1 mask=0");
    }

    /**
     * A NaN or infinite input pixel, weight, offset or mask value reaches exactly the outputs it
     * reaches in the reference (0 * NaN and 0 * Inf are NaN there, padding zeros included).
     */
    @ParameterizedTest
    @MethodSource("nonFiniteSpecs")
    void nonFiniteValuesPropagateLikeTheReference(String line) {
        Convolution spec = Problems.parse(line);
        for (boolean integers : new boolean[] {true, false}) {
            for (int variant = 0; variant < 4; variant++) {
                Args args = Tensors.args(spec, 31 + variant, integers, integers ? 1 : 1.5);
                SplittableRandom rnd = new SplittableRandom(variant);
                float[] poison = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                switch (variant) {
                    case 0 -> { // input pixels, including corners and edges
                        float[] in = Tensors.array(args, Arg.SRC);
                        in[0] = Float.NaN;
                        in[in.length - 1] = Float.POSITIVE_INFINITY;
                        in[rnd.nextInt(in.length)] = Float.NEGATIVE_INFINITY;
                    }
                    case 1 -> Tensors.array(args, Arg.WEIGHTS)[rnd.nextInt(args.get(Arg.WEIGHTS).size())] =
                            poison[rnd.nextInt(3)];
                    case 2 -> { // a weight that multiplies padding: must still poison
                        float[] wt = Tensors.array(args, Arg.WEIGHTS);
                        wt[0] = Float.POSITIVE_INFINITY;
                    }
                    default -> {
                        if (spec instanceof DeformConv2d d) {
                            float[] off = Tensors.array(args, Arg.OFFSET);
                            off[rnd.nextInt(off.length)] = Float.NaN;
                            off[rnd.nextInt(off.length)] = Float.POSITIVE_INFINITY;
                            if (d.mask()) {
                                float[] mask = Tensors.array(args, Arg.MASK);
                                mask[rnd.nextInt(mask.length)] = Float.NaN;
                                mask[rnd.nextInt(mask.length)] = Float.POSITIVE_INFINITY;
                            }
                        } else {
                            float[] in = Tensors.array(args, Arg.SRC);
                            for (int i = 0; i < 3; i++) {
                                in[rnd.nextInt(in.length)] = poison[i];
                            }
                        }
                    }
                }
                float[] ref = CrossCheck.reference(spec, args);
                if (variant < 3) {
                    assertTrue(countNonFinite(ref) > 0, "the poisoned value must reach the reference output: " + spec);
                }
                for (String algorithm : algorithms(spec)) {
                    for (CpuBackend backend : BACKENDS) {
                        String where = algorithm + "/" + label(backend) + " variant " + variant
                                + (integers ? " integers" : " floats") + " on " + spec;
                        try (Primitive plan = backend.compile(spec, algorithm)) {
                            float[] out = Primitives.output(backend, plan, spec, args);
                            if (integers) {
                                int bad = Tensors.firstMismatch(ref, out);
                                assertEquals(-1, bad, () -> where + ": element " + bad + " is " + out[bad]
                                        + ", reference " + ref[bad]);
                            } else {
                                assertSameNonFinite(ref, out, where);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Same NaN and infinity positions; the finite values within the tolerance. */
    private static void assertSameNonFinite(float[] ref, float[] out, String where) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (!Float.isFinite(ref[i]) || !Float.isFinite(out[i])) {
                if (Float.compare(ref[i], out[i]) != 0) {
                    fail(where + ": element " + i + " is " + out[i] + ", reference " + ref[i]);
                }
                continue;
            }
            num += ((double) ref[i] - out[i]) * ((double) ref[i] - out[i]);
            den += (double) ref[i] * ref[i];
        }
        double err = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        assertTrue(err <= TOLERANCE, where + ": relative L2 error " + err + " on the finite outputs");
    }

    private static int countNonFinite(float[] a) {
        int count = 0;
        for (float v : a) {
            count += Float.isFinite(v) ? 0 : 1;
        }
        return count;
    }

    /** One plan per algorithm run from four threads at once, each call with its own data. */
    @Test
    void plansRunConcurrentlyFromSeveralThreads() throws Exception {
        String[] lines = {
            // packed GEMM with one task per tile, and with the tile shared by all threads
            "op=conv2d n=1 c=16 h=33 w=33 k=40 kh=3 kw=3 pad=4 dil=4 bias=1",
            "op=conv2d n=1 c=16 h=9 w=9 k=40 kh=3 kw=3 pad=4 dil=4",
            "op=conv2d n=1 c=8 h=13 w=13 k=8 kh=3 kw=3 pad=1 groups=4",
            "op=conv2d n=1 c=6 h=11 w=11 k=9 kh=1 kw=1",
            "op=conv2d n=1 c=4 h=13 w=13 k=8 kh=5 kw=5 pad=2 stride=2 groups=4 relu=1",
            "op=deform2d n=1 c=4 h=9 w=9 k=6 kh=3 kw=3 pad=1 og=2 mask=1",
            "op=deform2d n=1 c=4 h=33 w=33 k=6 kh=3 kw=3 pad=1 og=2 mask=1",
        };
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (String line : lines) {
                Convolution spec = Problems.parse(line);
                for (CpuBackend backend : BACKENDS) {
                    try (Primitive plan = Primitives.compile(backend, spec)) {
                        assertEquals(CpuBackend.algorithmFor(spec), plan.algorithm());
                        List<java.util.concurrent.Future<?>> calls = new ArrayList<>();
                        for (int caller = 0; caller < 4; caller++) {
                            long seed = 100 + caller;
                            calls.add(callers.submit(() -> {
                                Args args = Tensors.args(spec, seed, true, 2);
                                float[] ref = CrossCheck.reference(spec, args);
                                for (int repeat = 0; repeat < 5; repeat++) {
                                    float[] out = Primitives.output(backend, plan, spec, args);
                                    int bad = Tensors.firstMismatch(ref, out);
                                    assertEquals(-1, bad, () -> plan.algorithm() + "/" + label(backend)
                                            + " concurrent call differs at " + bad + " on " + spec);
                                }
                                return null;
                            }));
                        }
                        for (java.util.concurrent.Future<?> call : calls) {
                            call.get();
                        }
                    }
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    /** Buffer-backed tensors take the copy path in and out. */
    @Test
    void directBufferTensorsGiveTheSameResult() {
        Convolution spec = Problems.parse("op=deform2d n=1 c=4 h=9 w=9 k=6 kh=3 kw=3 pad=1 og=2 mask=1 bias=1");
        Args args = Tensors.args(spec, 5, true, 2);
        float[] ref = CrossCheck.reference(spec, args);
        for (CpuBackend backend : BACKENDS) {
            Args.Builder direct = Args.builder();
            args.asMap().forEach((role, t) -> direct.set(role, copyToDirect((HostTensor) t)));
            HostTensor out = Tensor.directZeros(spec.outputShape());
            try (Primitive plan = Primitives.compile(backend, spec)) {
                Primitives.run(backend, plan, direct.dst(out).build());
            }
            assertEquals(-1, Tensors.firstMismatch(ref, out.toArray()), label(backend) + " on " + spec);
        }
        // And through a plan of a CPU engine, which copies them in and out the same way.
        try (Engine engine = Engine.create(DeviceChoice.CPU);
             Plan plan = engine.plan(spec)) {
            Args.Builder direct = Args.builder();
            args.asMap().forEach((role, t) -> direct.set(role, copyToDirect((HostTensor) t)));
            HostTensor out = Tensor.directZeros(spec.outputShape());
            plan.execute(direct.dst(out).build());
            assertEquals(-1, Tensors.firstMismatch(ref, out.toArray()), "engine plan on " + spec);
        }
    }

    private static HostTensor copyToDirect(HostTensor t) {
        HostTensor d = Tensor.directZeros(t.shape());
        d.copyFrom(t.toArray());
        return d;
    }

    /**
     * Deformable sampling at its edges ({@link DeformEdgeCases}) on every CPU algorithm that runs
     * deform2d, with each kernel set and thread count; the 2^24-pixel maps test sampling, which
     * the kernel sets share, so they run on the first backend only.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cpu-deform-lanes", "cpu-deform-gemm", "cpu-direct"})
    void deformEdgeCasesOnEveryKernelSet(String algorithm) {
        for (int b = 0; b < BACKENDS.size(); b++) {
            CpuBackend backend = BACKENDS.get(b);
            DeformEdgeCases.checkHandComputed(algorithm + "/" + label(backend), b == 0, algorithm(backend, algorithm));
            DeformEdgeCases.checkWideMaps(algorithm + "/" + label(backend), algorithm(backend, algorithm));
        }
    }

    private static BiConsumer<Convolution, Args> algorithm(CpuBackend backend, String name) {
        return (spec, args) -> {
            try (Primitive plan = backend.compile(spec, name)) {
                Primitives.run(backend, plan, args);
            }
        };
    }
}
