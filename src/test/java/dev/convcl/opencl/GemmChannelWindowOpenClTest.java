package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.spi.Memory;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The register-tile GEMM kernels writing their output through a channel window
 * ({@link GemmConvPlan#writeChannelWindow}): output channel {@code k} of image {@code n} lands in
 * channel {@code start + k * step} of a larger tensor, as a ShuffleNet branch's last 1x1 writes its
 * channels of the shuffled concatenation (start 1, step 2) and an Inception branch its part of the
 * concatenation at a batch above 1 (a start, step 1). On integer data every window channel equals
 * the reference exactly and every other channel keeps what it held; the local-memory (GPU) tile
 * refuses and changes nothing.
 */
class GemmChannelWindowOpenClTest {
    /** A sentinel the channels outside the window must keep. */
    private static final float KEEP = -7.25f;

    static final List<String> SHAPES = List.of(
            // a ShuffleNet branch's last 1x1, batch 2, K not a multiple of any tile
            "op=conv2d n=2 c=6 h=7 w=9 k=5 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 bias=1 relu=1",
            // 3x3 with padding (tiles in rows and, for pixel vectors, the padded copy)
            "op=conv2d n=2 c=5 h=6 w=11 k=19 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 relu=0",
            // grouped and strided (channel tiles of each group start inside the window)
            "op=conv2d n=1 c=8 h=9 w=9 k=12 kh=3 kw=3 stride=2 pad=1 dil=1 groups=4 bias=0 relu=1",
            // a sum post-op: the sum tensor is still read at the output's own layout
            "op=conv2d n=2 c=7 h=5 w=13 k=17 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1 bias=1 post=sum+relu");

    @RegisterExtension
    static final DeviceBackend DEVICE = new DeviceBackend();

    /** The device's default tile of each kind, and others of 16 and 8 floats. */
    private static Set<GemmConfig> configs(Convolution spec) {
        Set<GemmConfig> s = new LinkedHashSet<>();
        s.add(GemmDefaults.of(spec, true, 16));
        s.add(GemmConfig.cm(16, 16, 7, 1));
        s.add(GemmConfig.pv(16, 8, 32, 1));
        s.add(GemmConfig.cm(8, 16, 6, 1));
        s.add(GemmConfig.pv(8, 4, 16, 1));
        return s;
    }

    @Test
    void everyWindowChannelMatchesTheReferenceAndTheOtherChannelsAreKept() {
        Set<String> kinds = new LinkedHashSet<>();
        for (String line : SHAPES) {
            Convolution spec = Problems.parse(line);
            Args args = Tensors.args(spec, line.hashCode(), true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            int k = spec.k();
            // ShuffleNet's odd channels, its even ones (start 0), and a contiguous part after 3 channels
            int[][] windows = {{2 * k, 1, 2}, {2 * k + 1, 0, 2}, {k + 5, 3, 1}};
            for (GemmConfig cfg : configs(spec)) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                for (int[] w : windows) {
                    try (GemmConvPlan plan = new GemmConvPlan(DEVICE.context(), spec, cfg)) {
                        assertTrue(plan.writeChannelWindow(w[0], w[1], w[2]), cfg + " refused a window");
                        float[] whole = runIntoWindow(plan, spec, args, w[0]);
                        assertWindow(ref, whole, spec, w, cfg + " (" + plan.algorithm() + ") on " + spec);
                        kinds.add(cfg.kind().name());
                    }
                }
            }
        }
        assertEquals(Set.of("CM", "PV"), kinds, "both register kernels wrote windows");
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /**
     * The channel-vector tile's whole-run path with a residual sum ({@code store_run_sum} in
     * conv2d_gemm.cl: the chain from its first sum step runs on each channel's run of adjacent
     * pixels) writing through a window: each run lands in plane {@code start + k * step} while the
     * sum tensor is still read at the output's own layout. Exact integer chains, windows of step 2
     * (ShuffleNet's odd and even channels) and step 1 after a start; tiles whose runs are cut by the
     * row's end and channel tiles that are partly empty take the other path in the same launch.
     */
    @Test
    void theWholeRunSumPathWritesItsRunsThroughAWindow() {
        List<String> shapes = List.of(
                "op=conv2d n=2 c=7 h=5 w=31 k=40 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 post=sum+relu",
                "op=conv2d n=1 c=8 h=4 w=33 k=64 kh=3 kw=3 stride=2 pad=1 dil=1 groups=2 bias=0 post=relu+sum:-2");
        List<GemmConfig> tiles = List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.cm(16, 32, 7, 1),
                GemmConfig.cm(16, 16, 5, 1));
        int wholeRunPlans = 0;
        int seed = 7100;
        for (String line : shapes) {
            Convolution spec = Problems.parse(line);
            Args args = Tensors.args(spec, seed++, true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            int k = spec.k();
            int[][] windows = {{2 * k, 1, 2}, {2 * k + 1, 0, 2}, {k + 5, 3, 1}};
            for (GemmConfig cfg : tiles) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                for (int[] w : windows) {
                    try (GemmConvPlan plan = new GemmConvPlan(DEVICE.context(), spec, cfg, 0)) {
                        assertTrue(plan.writeChannelWindow(w[0], w[1], w[2]), cfg + " refused a window");
                        String options = plan.geometry().options;
                        if (!plan.geometry().linear && options.contains("-DVW=16")) {
                            wholeRunPlans++;
                        }
                        assertWindow(ref, runIntoWindow(plan, spec, args, w[0]), spec, w,
                                cfg + " (" + plan.algorithm() + ", " + options + ") on " + spec);
                    }
                }
            }
        }
        assertTrue(wholeRunPlans >= 6, "plans whose 16-float channel tiles read rows: " + wholeRunPlans);
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /**
     * Reading the input through a window (a slice of a larger tensor): every output equals the
     * reference with the tensor's other channels full of NaN, alone and together with an output
     * window, whether the kernel reads the slice in place or {@code pad_input} copies it into the
     * padded layout; a step other than 1 is refused.
     */
    @Test
    void aPlanReadingItsInputInPlaceReadsASliceOfALargerTensor() {
        Set<String> ways = new LinkedHashSet<>();
        for (String line : SHAPES) {
            Convolution spec = Problems.parse(line);
            Args args = Tensors.args(spec, line.hashCode() + 1, true, 0);
            float[] ref = CrossCheck.reference(spec, args);
            int c = spec.c();
            int[][] windows = {{2 * c, c, 1}, {c + 5, 3, 1}};
            for (GemmConfig cfg : configs(spec)) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, DEVICE.context().info()).isPresent()) {
                    continue;
                }
                for (int[] w : windows) {
                    try (GemmConvPlan plan = new GemmConvPlan(DEVICE.context(), spec, cfg)) {
                        assertFalse(plan.readChannelWindow(w[0], w[1], 2), "a step of 2 is refused");
                        assertTrue(plan.readChannelWindow(w[0], w[1], w[2]), cfg + " refused an input window");
                        assertEquals(0, plan.sourceReadBytes(), "a windowed source is never read in place with slack");
                        ways.add(cfg.kind() + (plan.scratchpadBytes() > 0 ? " copied" : " in place"));
                        HostTensor windowed = inWindow(args, spec, w);
                        float[] out = runIntoWindow(plan, spec, args, spec.k(), windowed);
                        assertEquals(-1, Tensors.firstMismatch(ref, out), cfg + " (" + plan.algorithm() + ") on " + spec
                                + " reading channels " + w[1] + ".. of " + w[0] + ": output " + Tensors.firstMismatch(ref, out));
                        int[] o = {2 * spec.k() + 1, 1, 2};
                        assertTrue(plan.writeChannelWindow(o[0], o[1], o[2]));
                        assertWindow(ref, runIntoWindow(plan, spec, args, o[0], windowed), spec, o,
                                cfg + " reading and writing windows on " + spec);
                    }
                }
            }
        }
        assertTrue(ways.containsAll(Set.of("CM in place", "PV copied", "CM copied")), "ways the window was read: " + ways);
        assertEquals(0, DEVICE.context().liveObjects(), "kernels and buffers left open");
    }

    /** SRC of {@code args} as channels {@code window[1]..} of a tensor of {@code window[0]} channels, NaN elsewhere. */
    private static HostTensor inWindow(Args args, Convolution spec, int[] window) {
        float[] src = ((HostTensor) args.get(Arg.SRC)).array();
        int plane = spec.h() * spec.w();
        float[] big = new float[spec.n() * window[0] * plane];
        java.util.Arrays.fill(big, Float.NaN);
        for (int n = 0; n < spec.n(); n++) {
            for (int c = 0; c < spec.c(); c++) {
                System.arraycopy(src, (n * spec.c() + c) * plane, big, (n * window[0] + window[1] + c * window[2]) * plane,
                        plane);
            }
        }
        return (HostTensor) Tensor.of(big, spec.n(), window[0], spec.h(), spec.w());
    }

    @Test
    void theLocalMemoryTileRefusesAndAWindowOutsideTheTensorIsRefusedBeforeAnyLaunch() {
        Convolution spec = Problems.parse(SHAPES.get(0));
        GemmConfig lm = GemmDefaults.gpuCandidates().get(0);
        if (GemmConvPlan.unsuitableReason(spec, lm, DEVICE.context().info()).isEmpty()) {
            try (GemmConvPlan plan = new GemmConvPlan(DEVICE.context(), spec, lm)) {
                assertFalse(plan.writeChannelWindow(2 * spec.k(), 1, 2), "the local-memory tile has no window");
                Args args = Tensors.args(spec, 5, true, 0);
                float[] out = runIntoWindow(plan, spec, args, spec.k());
                assertEquals(-1, Tensors.firstMismatch(CrossCheck.reference(spec, args), out),
                        "after refusing, the plan writes its output as before");
            }
        }
        try (GemmConvPlan plan = new GemmConvPlan(DEVICE.context(), spec, GemmDefaults.of(spec, true, 16))) {
            long launches = DEVICE.context().kernelLaunches();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> plan.writeChannelWindow(2 * spec.k() - 1, 1, 2));
            assertEquals("a channel window of start=1 step=2 for 5 channels must lie within the tensor's 9 channels",
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> plan.writeChannelWindow(10, -1, 1));
            assertThrows(IllegalArgumentException.class, () -> plan.writeChannelWindow(10, 0, 0));
            assertEquals(launches, DEVICE.context().kernelLaunches(), "a refused window launches nothing");
        }
    }

    /**
     * Runs {@code plan} with a DST buffer of {@code channels} channels per image, filled with
     * {@link #KEEP}, and returns that whole buffer.
     */
    private static float[] runIntoWindow(GemmConvPlan plan, Convolution spec, Args args, int channels) {
        return runIntoWindow(plan, spec, args, channels, null);
    }

    /** As above, with {@code source} (when not null) passed as SRC instead of the one in {@code args}. */
    private static float[] runIntoWindow(GemmConvPlan plan, Convolution spec, Args args, int channels,
                                         HostTensor source) {
        int plane = spec.outH() * spec.outW();
        float[] whole = new float[spec.n() * channels * plane];
        java.util.Arrays.fill(whole, KEEP);
        HostTensor dst = (HostTensor) Tensor.of(whole, spec.n(), channels, spec.outH(), spec.outW());
        Map<Arg, Memory> mem = new EnumMap<>(Arg.class);
        List<Memory> staged = new ArrayList<>();
        try {
            for (Map.Entry<Arg, Tensor> e : args.asMap().entrySet()) {
                HostTensor h = e.getKey() == Arg.DST ? dst
                        : e.getKey() == Arg.SRC && source != null ? source : (HostTensor) e.getValue();
                Memory m = DEVICE.backend().allocate(e.getKey().displayName(), 4L * h.size());
                staged.add(m);
                DEVICE.backend().write(m, h);
                mem.put(e.getKey(), m);
            }
            plan.execute(mem);
            DEVICE.backend().read(mem.get(Arg.DST), dst);
            DEVICE.backend().finish();
        } finally {
            staged.forEach(Memory::close);
        }
        return whole;
    }

    /** Fails naming the first element of {@code whole} that is not the reference's (in the window) or {@link #KEEP} (outside). */
    static void assertWindow(float[] ref, float[] whole, Convolution spec, int[] window, String what) {
        int plane = spec.outH() * spec.outW();
        int k = spec.k();
        for (int n = 0; n < spec.n(); n++) {
            for (int c = 0; c < window[0]; c++) {
                int rel = c - window[1];
                boolean inside = rel >= 0 && rel % window[2] == 0 && rel / window[2] < k;
                for (int p = 0; p < plane; p++) {
                    float got = whole[(n * window[0] + c) * plane + p];
                    float want = inside ? ref[(n * k + rel / window[2]) * plane + p] : KEEP;
                    if (Float.floatToIntBits(got) != Float.floatToIntBits(want)) {
                        fail(what + ", window " + java.util.Arrays.toString(window) + ": image " + n + " channel " + c
                                + (inside ? " (output channel " + rel / window[2] + ")" : " (outside the window)")
                                + " pixel " + p + " is " + got + ", expected " + want);
                    }
                }
            }
        }
    }
}
