package dev.convcl.opencl;

import static org.jocl.CL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.CacheDir;
import dev.convcl.Convolution;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Plan;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Problems;
import dev.convcl.testing.SystemProperties;
import dev.convcl.testing.Tensors;
import dev.convcl.testing.WarnCapture;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Device faults, injected through {@link OpenClContext.FaultInjector} as the driver would report
 * them: a kernel that fails to build, an allocation that fails, an error from the queue in the
 * middle of a call, and a buffer above the maximum allocation. Each call completes on the CPU
 * path with the reference's answer and one WARN per cause; {@link Plan#backend()} says where
 * it ran; nothing leaks; and once the fault is gone, new plans run on OpenCL again.
 */
class OpenClFaultTest {
    private static final List<Convolution> SPECS = List.of(
            Problems.parse("op=conv2d n=2 c=4 h=7 w=6 k=5 kh=3 kw=3 pad=1 bias=1"),
            Problems.parse("op=conv2d n=1 c=8 h=7 w=7 k=8 kh=3 kw=3 pad=1 groups=8"),
            Problems.parse("op=deform2d n=1 c=4 h=4 w=4 k=3 kh=3 kw=3 pad=1 og=2 mask=1 bias=1"));

    private Engine engine;
    private OpenClContext ctx;
    private WarnCapture warnings;

    @BeforeEach
    void open() {
        engine = OpenClTestDevice.engine();
        ctx = OpenClTestDevice.context(engine);
        warnings = WarnCapture.on(Engine.class);
    }

    @AfterEach
    void close() {
        if (warnings != null) {
            warnings.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    /** Runs {@code spec} on {@code plan} with integer data and checks the exact reference answer. */
    private static void assertComputes(Plan plan, Convolution spec, long seed) {
        Args args = Tensors.args(spec, seed, true, 2);
        float[] ref = CrossCheck.reference(spec, args);
        plan.execute(args);
        int bad = Tensors.firstMismatch(ref, Tensors.out(args));
        assertEquals(-1, bad, spec + " on " + plan.backend() + ": output differs from the reference at " + bad);
    }

    /** After the fault is removed, a new plan of every spec runs on OpenCL and is right. */
    private void assertRecovered() {
        ctx.injectFaults(null);
        for (Convolution spec : SPECS) {
            try (Plan plan = engine.plan(spec)) {
                assertEquals("opencl", plan.backend(), "after the fault is gone, a new plan should use OpenCL: " + spec);
                assertComputes(plan, spec, 99);
            }
        }
        assertEquals(0, ctx.liveBytes(), "device memory still held after all plans closed");
        assertEquals(0, ctx.liveObjects(), "OpenCL objects still alive after all plans closed");
        assertEquals(0, ctx.guardViolations(), "a guard region was overwritten");
    }

    /** Replaces the engine with one whose kernel cache is {@code cache} (empty), so that every program is built from source. */
    private void useEmptyKernelCache(Path cache) {
        engine.close();
        engine = SystemProperties.with(CacheDir.PROPERTY, cache.toString(), OpenClTestDevice::engine);
        ctx = OpenClTestDevice.context(engine);
    }

    /**
     * The compiler loses its temporary file in the first two attempts to build each kernel file
     * from source (as POCL's did when LLVM's signal handler removed it): each is built again, the
     * plans run on OpenCL with the reference's answer and no WARN. With an empty kernel cache, so
     * that every program is built from source.
     */
    @Test
    void aBuildThatLostTheCompilersFileIsBuiltAgain(@TempDir Path cache) {
        useEmptyKernelCache(cache);
        Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        ctx.injectFaults((site, what) -> site == OpenClContext.FaultSite.BUILD_LOST_FILE
                && attempts.computeIfAbsent(what, f -> new AtomicInteger()).incrementAndGet() <= 2
                ? CL_BUILD_PROGRAM_FAILURE : CL_SUCCESS);
        for (Convolution spec : SPECS) {
            try (Plan plan = engine.plan(spec)) {
                assertEquals("opencl", plan.backend(), "a build that only lost the compiler's file must be retried: " + spec);
                assertComputes(plan, spec, 5);
            }
        }
        assertTrue(!attempts.isEmpty() && attempts.values().stream().allMatch(a -> a.get() >= 3),
                "every kernel file should have been built from source, failing twice first: " + attempts);
        assertEquals(List.of(), warnings.warnings(), "a retried build is not a fallback");
    }

    /** The compiler loses its file in every attempt: after ProgramCache.BUILD_ATTEMPTS the build fails and the plan falls back. */
    @Test
    void aBuildThatAlwaysLosesTheCompilersFileFallsBackAfterItsAttempts(@TempDir Path cache) {
        useEmptyKernelCache(cache);
        AtomicInteger attempts = new AtomicInteger();
        ctx.injectFaults((site, what) -> {
            if (site != OpenClContext.FaultSite.BUILD_LOST_FILE) {
                return CL_SUCCESS;
            }
            attempts.incrementAndGet();
            return CL_BUILD_PROGRAM_FAILURE;
        });
        Convolution spec = SPECS.get(0);
        try (Plan plan = engine.plan(spec)) {
            assertEquals("cpu", plan.backend(), spec.toString());
            assertComputes(plan, spec, 6);
        }
        int implementations = engine.implementations(spec).size();
        assertEquals(0, attempts.get() % ProgramCache.BUILD_ATTEMPTS,
                "each failed build should have been attempted " + ProgramCache.BUILD_ATTEMPTS + " times: " + attempts);
        assertTrue(attempts.get() >= implementations * ProgramCache.BUILD_ATTEMPTS, "attempts: " + attempts);
        assertEquals(implementations, warnings.count("OpenCL failed to prepare " + spec + " with "), warnings.warnings().toString());
        assertTrue(warnings.warnings().stream().anyMatch(w -> w.contains("unable to rename temporary")),
                "the WARN should carry the compiler's log: " + warnings.warnings());
        assertRecovered();
    }

    /**
     * Every kernel build fails: selection tries each implementation that accepts the problem (one
     * WARN per kernel that failed to build, and one saying the problem runs on the CPU path), and
     * the plan runs on the CPU path. The same failures again give no new WARN.
     */
    @Test
    void kernelBuildFailureRunsOnCpuAndRecovers() {
        ctx.injectFaults((site, what) -> site == OpenClContext.FaultSite.BUILD ? CL_BUILD_PROGRAM_FAILURE : CL_SUCCESS);
        int afterFirstRound = 0;
        for (int round = 0; round < 2; round++) {
            for (Convolution spec : SPECS) {
                try (Plan plan = engine.plan(spec)) {
                    assertEquals("cpu", plan.backend(), "a plan whose kernel failed to build must run on the CPU path: " + spec);
                    assertComputes(plan, spec, round);
                }
            }
            if (round == 0) {
                afterFirstRound = warnings.warnings().size();
            }
        }
        assertEquals(afterFirstRound, warnings.warnings().size(),
                "one WARN per cause (each spec failed twice): " + warnings.warnings());
        assertEquals(0, ctx.kernelLaunches(), "no kernel could have been built, yet one was launched");
        for (Convolution spec : SPECS) {
            int tried = engine.implementations(spec).size();
            assertEquals(tried, warnings.count("OpenCL failed to prepare " + spec + " with "),
                    "one WARN per implementation that failed to build: " + warnings.warnings());
            assertEquals(1, warnings.count("OpenCL cannot run " + spec), warnings.warnings().toString());
        }
        assertEquals(warnings.warnings().size() - SPECS.size(), warnings.count("BUILD_FAILED): building "),
                warnings.warnings().toString());
        assertRecovered();
    }

    /**
     * Every allocation but the first of each plan fails: an implementation that allocates when it
     * is prepared releases what it got and the next one is tried; the allocations of the call fail
     * too, so the call completes on the CPU path and the plan stays there. Nothing is left on the
     * device.
     */
    @Test
    void failedAllocationRunsOnCpuFreesWhatItGotAndRecovers() {
        AtomicInteger allocations = new AtomicInteger();
        ctx.injectFaults((site, what) -> site == OpenClContext.FaultSite.ALLOCATE && allocations.incrementAndGet() > 1
                ? CL_MEM_OBJECT_ALLOCATION_FAILURE : CL_SUCCESS);
        for (Convolution spec : SPECS) {
            allocations.set(0);
            try (Plan plan = engine.plan(spec)) {
                assertComputes(plan, spec, 3);
                assertEquals("cpu", plan.backend(), "a plan whose allocation failed must run on the CPU path: " + spec);
                assertEquals(0, ctx.liveBytes(), "the failed plan kept device memory: " + spec);
                assertEquals(0, ctx.liveObjects(), "the failed plan kept OpenCL objects: " + spec);
            }
            assertTrue(allocations.get() >= 2, "no allocation was refused for " + spec);
        }
        assertTrue(warnings.count("OUT_OF_RESOURCES") >= 1, warnings.warnings().toString());
        assertEquals(warnings.warnings().size(), warnings.warnings().stream().distinct().count(),
                "the same WARN twice: " + warnings.warnings());
        assertRecovered();
    }

    /** The channel-window network of the two tests below (batch 2), an input and its reference output. */
    private record WindowNet(dev.convcl.Graph graph, HostTensor input, double[] expected) {
        static WindowNet make() {
            dev.convcl.Nets nets = new dev.convcl.Nets(29);
            int[] shape = {2, 6, 10, 9};
            dev.convcl.Graph g = nets.shuffleUnitsAndInception(shape);
            HostTensor input = dev.convcl.GraphTesting.random(nets.random(), shape);
            return new WindowNet(g, input, dev.convcl.GraphTesting.reference(g, Map.of("x", input)).get("out"));
        }
    }

    /**
     * A compiled graph whose convolutions write their parts of concatenations, and read a slice,
     * through channel windows (ShuffleNetV2 units at stride 2 and 1, an Inception block, batch 2):
     * when every GEMM launch fails, those layers finish on the CPU path, reading their slice's
     * channels of the device buffer and writing their results into their channels (a rectangular
     * read or write per image), so the output is still the graph's.
     */
    @Test
    void layersWritingChannelWindowsFinishOnTheCpuPathIntoTheirChannels() {
        WindowNet w = WindowNet.make();
        dev.convcl.Graph g = w.graph();
        HostTensor input = w.input();
        double[] expected = w.expected();
        try (dev.convcl.CompiledGraph net = engine.compile(g)) {
            assertTrue(dev.convcl.GraphTesting.relativeL2(expected, net.run(input).toArray()) <= 1e-5, "healthy run");
            List<String> gemmSteps = net.steps().stream().filter(s -> s.implementation().equals("gemm"))
                    .map(dev.convcl.CompiledGraph.Step::name).toList();
            assertEquals(10, gemmSteps.size(), "GEMM steps (6 of them write windows, one reads one): " + net.steps());
            ctx.injectFaults((s, what) -> s == OpenClContext.FaultSite.LAUNCH && what.startsWith("conv2d_gemm")
                    ? CL_OUT_OF_RESOURCES : CL_SUCCESS);
            for (int run = 1; run <= 2; run++) {
                double err = dev.convcl.GraphTesting.relativeL2(expected, net.run(input).toArray());
                assertTrue(err <= 1e-5, "run " + run + " with the GEMM launches failing: relative L2 error " + err);
            }
            assertEquals(gemmSteps, net.steps().stream().filter(s -> s.backend().equals("cpu"))
                    .map(dev.convcl.CompiledGraph.Step::name).toList(), "the GEMM steps, and only they, moved to the CPU path");
            ctx.injectFaults(null);
            try (dev.convcl.DeviceTensor dx = engine.upload(input);
                 dev.convcl.DeviceTensor dy = engine.allocate(net.outputShapes().get("out"))) {
                net.run(Map.of("x", dx), Map.of("out", dy));
                double err = dev.convcl.GraphTesting.relativeL2(expected, dy.toArray());
                assertTrue(err <= 1e-5, "device tensors, those layers on the CPU path: relative L2 error " + err);
            }
        }
        assertEquals(0, ctx.liveBytes(), "device memory held after the graph closed");
    }

    /**
     * The graph's own plan of a windowed step falls back to the CPU path at creation (its packed
     * weights refused, after the plans asked while compiling took their windows): compiling
     * lowers again without that window, so the step's part is copied and everything still runs on
     * the device with the graph's result. The graph below asks 7 plans (6 output windows, 1 input
     * window) before making its own; the 8th packed-weight allocation is the first of its own.
     */
    @Test
    void aWindowRefusedByTheGraphsOwnPlanIsLoweredAgainWithoutIt() {
        WindowNet w = WindowNet.make();
        dev.convcl.Graph g = w.graph();
        HostTensor input = w.input();
        double[] expected = w.expected();
        AtomicInteger packed = new AtomicInteger();
        ctx.injectFaults((s, what) -> s == OpenClContext.FaultSite.ALLOCATE && "weight (packed)".equals(what)
                && packed.incrementAndGet() == 8 ? CL_MEM_OBJECT_ALLOCATION_FAILURE : CL_SUCCESS);
        try (dev.convcl.CompiledGraph net = engine.compile(g)) {
            ctx.injectFaults(null);
            assertTrue(packed.get() > 8, "packed-weight allocations: " + packed.get());
            List<String> copies = net.steps().stream().filter(s -> s.operation() instanceof dev.convcl.ChannelCopy)
                    .map(dev.convcl.CompiledGraph.Step::name).toList();
            assertEquals(List.of("stage2.0.cat[0]+stage2.0.shuffle", "stage2.1.chunk:0+stage2.1.cat[0]+stage2.1.shuffle",
                    "mixed.cat[3]"), copies, "the refused window's part is copied");
            assertTrue(net.steps().stream().allMatch(s -> s.backend().equals("opencl")), net.steps().toString());
            double err = dev.convcl.GraphTesting.relativeL2(expected, net.run(input).toArray());
            assertTrue(err <= 1e-5, "relative L2 error " + err + " against the float64 graph");
        }
        assertEquals(0, ctx.liveBytes(), "device memory held after the graph closed");
    }

    /** An error from the queue during a call: the call completes on the CPU path and the plan stays there. */
    @ParameterizedTest
    @EnumSource(value = OpenClContext.FaultSite.class, names = {"WRITE", "LAUNCH", "READ"})
    void queueErrorMidCallCompletesOnCpu(OpenClContext.FaultSite site) {
        String warning = "OpenCL failed while running";
        assertEquals(0, warnings.count(warning));
        for (Convolution spec : SPECS) {
            try (Plan plan = engine.plan(spec); Plan second = engine.plan(spec)) {
                assertEquals("opencl", plan.backend(), spec.toString());
                long beforeHealthy = ctx.kernelLaunches();
                assertComputes(plan, spec, 1); // a healthy call first
                long launches = ctx.kernelLaunches();
                long perCall = launches - beforeHealthy; // packing and convolution may be two launches
                long warned = warnings.count(warning);
                ctx.injectFaults((s, what) -> s == site ? CL_INVALID_COMMAND_QUEUE : CL_SUCCESS);
                assertComputes(plan, spec, 2);
                assertEquals("cpu", plan.backend(), "after a fault at " + site + " the plan should have moved to the CPU path: " + spec);
                // The first fault of all is logged; later ones only when their cause is new.
                assertTrue(warnings.count(warning) == warned + 1 || warned > 0 && warnings.count(warning) == warned,
                        warnings.warnings().toString());
                long afterFirst = warnings.count(warning);
                assertComputes(second, spec, 3); // the same fault on another plan: the same cause, no second WARN
                assertEquals("cpu", second.backend(), spec.toString());
                assertEquals(afterFirst, warnings.count(warning), "WARN repeated for the same cause: " + warnings.warnings());
                ctx.injectFaults(null);
                long launchesAfterFault = ctx.kernelLaunches();
                assertComputes(plan, spec, 4); // stays on the CPU path
                assertEquals(launchesAfterFault, ctx.kernelLaunches(), "a plan moved to the CPU path launched a kernel");
                assertTrue(launchesAfterFault - launches <= 2 * perCall, "launches during the faulty calls: "
                        + (launchesAfterFault - launches) + ", more than the two calls' " + 2 * perCall);
            }
            assertEquals(0, ctx.liveBytes(), "device memory held after the faulty plans closed: " + spec);
            assertEquals(0, ctx.liveObjects(), "OpenCL objects (buffers, kernels, events) alive after the faulty plans closed: " + spec);
        }
        assertTrue(warnings.count(warning) >= 1 && warnings.count(warning) <= SPECS.size(), warnings.warnings().toString());
        assertEquals(warnings.warnings().size(), warnings.warnings().stream().distinct().count(),
                "the same WARN twice: " + warnings.warnings());
        assertRecovered();
    }

    /** A buffer above the maximum allocation (lowered for the test) runs on the CPU path; smaller problems stay on OpenCL. */
    @Test
    void tensorAboveMaxAllocationRunsOnCpu() {
        engine.close();
        engine = SystemProperties.with(OpenClContext.MAX_ALLOC_PROPERTY, "4096", OpenClTestDevice::engine);
        ctx = OpenClTestDevice.context(engine);
        assertEquals(4096, ctx.maxAllocBytes());
        // input 1x2x24x24 floats = 4608 bytes > 4096; output 1x3x24x24 = 6912 bytes
        Convolution big = Problems.parse("op=conv2d n=1 c=2 h=24 w=24 k=3 kh=3 kw=3 pad=1 bias=1");
        Args args = Tensors.args(big, 5, true, 1);
        float[] ref = CrossCheck.reference(big, args);
        HostTensor out = engine.conv2d(args.get(Arg.SRC), args.get(Arg.WEIGHTS), args.get(Arg.BIAS), 1, 1, 1, 1);
        assertEquals(-1, Tensors.firstMismatch(ref, out.array()), big.toString());
        assertEquals(0, ctx.kernelLaunches(), "the oversized problem reached the device");
        assertEquals(1, warnings.count("exceeds the maximum allocation of 4096 bytes"), warnings.warnings().toString());
        try (Plan plan = engine.plan(big)) {
            assertEquals("cpu", plan.backend(), big.toString());
            assertComputes(plan, big, 6);
        }
        for (Convolution small : SPECS) { // every tensor of these is below 4096 bytes
            try (Plan plan = engine.plan(small)) {
                assertEquals("opencl", plan.backend(), small.toString());
                assertComputes(plan, small, 7);
            }
        }
    }
}
