package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.ArgSpec;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.reference.Accuracy;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Target;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernels' one epilogue (prelude.h: bias, then the post-op chain) on every OpenCL
 * implementation and kernel variant: every activation kind with its parameters, the sum post-op
 * with its scale before and after an activation, the longest chain the kernels hold, and padding
 * that differs before and after each axis, each against the reference ({@link ReferenceConv},
 * double precision). Plans come from {@code Engine.plan(op, implementation, config)}, which never
 * falls back, so the kernel itself is what is checked. The input holds a NaN, so every activation
 * must also keep NaN as NaN (comparisons, not fmin/fmax) where the reference does.
 */
class KernelEpilogueOpenClTest {
    /** Relative L2 error allowed against the reference, and per element relative to 1 + |ref|. */
    private static final double TOLERANCE = 1e-5;
    private static final double ELEMENT_TOLERANCE = 1e-4;

    private static final String DENSE = "op=conv2d n=2 c=4 h=7 w=9 k=20 kh=3 kw=3 pad=1 bias=1";
    private static final String DENSE_WIDE = "op=conv2d n=1 c=3 h=5 w=21 k=5 kh=3 kw=3 pad=1 bias=1";
    /** 1x1 on rows of 5: pixel-vector tiles run along the output and store vectors across rows whole. */
    private static final String POINTWISE = "op=conv2d n=2 c=5 h=7 w=5 k=6 kh=1 kw=1 bias=1";
    /** Output rows of 21 at stride 1: the map kernel's class on a CPU (register rows), the staged kernel's on a GPU. */
    private static final String DEPTHWISE = "op=conv2d n=1 c=4 h=8 w=21 k=8 kh=3 kw=3 pad=1 groups=4 bias=1";
    /** Output rows of 133, wider than the map kernel's 8 vectors of 16: the staged kernel's class on every device. */
    private static final String DEPTHWISE_STAGED = "op=conv2d n=1 c=4 h=5 w=133 k=8 kh=3 kw=3 pad=1 groups=4 bias=1";
    private static final String DEPTHWISE_LARGE = "op=conv2d n=2 c=3 h=9 w=21 k=3 kh=13 kw=13 pad=6 groups=3 bias=1";
    /** A kernel larger than the map, padding that differs between the axes: the plane kernel's default on a CPU. */
    private static final String DEPTHWISE_PLANE = "op=conv2d n=2 c=3 h=7 w=9 k=3 kh=13 kw=13 pad=6,5 groups=3 bias=1";
    /** A 7x9 map, stride 2 along y: the map kernel's (output rows of 7 in vectors of 8, the last lane unused). */
    private static final String DEPTHWISE_MAP = "op=conv2d n=2 c=3 h=9 w=7 k=6 kh=3 kw=3 stride=2,1 pad=1 groups=3 bias=1";
    private static final String DEFORM = "op=deform2d n=1 c=4 h=6 w=7 k=5 kh=3 kw=3 pad=1 og=2 mask=1 bias=1";

    /**
     * Every step kind in one chain of the longest length the kernels hold
     * ({@link KernelOptions#MAX_POST_OPS}), ordered so that each step meets values on both sides of
     * its bends (the clip bounds are reached, the leaky slope sees negatives, hardsigmoid saturates).
     */
    static final String LONG = "sum:0.25+clip:-1.5:2+leaky_relu:0.3+hardswish+gelu+silu+hardsigmoid:0.7:0.4+sigmoid";
    /** Each activation kind alone with its parameters, the sum with a scale on both sides of an activation. */
    static final List<String> CHAINS = List.of("relu", "clip:-0.5:0.75", "relu6", "leaky_relu:0.1", "sigmoid", "silu",
            "gelu", "hardsigmoid", "hardsigmoid:0.2:0.5", "hardswish", "relu+sum:0.5", LONG);
    /** Every kind, sum with scales, no bias: for the other kernels and tiles (each chain is a kernel build). */
    static final List<String> SOME_CHAINS = List.of(LONG);

    @RegisterExtension
    static final Engines ENGINES = new Engines();

    /** The class's engine on the OpenCL target, closed after its tests. */
    private static Engine engine() {
        return ENGINES.get(Target.OPENCL);
    }

    /**
     * An implementation of the OpenCL list, a configuration of it (null: its default) and the
     * problem it runs, chosen so that vectors are both whole and cut short at the output's edge.
     */
    record Variant(String implementation, String config, String problem, List<String> chains) {
        @Override
        public String toString() {
            return implementation + (config == null ? "" : "[" + config + "]");
        }
    }

    /**
     * Every activation kind alone on the scalar epilogue (direct) and the vector one (depthwise,
     * 16 lanes); every other kernel and tile gets the long chain and the sum without bias.
     */
    static Stream<Variant> variants() {
        return Stream.of(
                new Variant("direct", null, DENSE, CHAINS),
                new Variant("depthwise", "vw=16 nv=2 th=2 wg=1x1", DEPTHWISE_STAGED, CHAINS),
                new Variant("depthwise", null, DEPTHWISE_STAGED, SOME_CHAINS),
                new Variant("depthwise", "vw=2 nv=1 th=2 wg=16x8", DEPTHWISE_STAGED, SOME_CHAINS),
                new Variant("depthwise-rows", null, DEPTHWISE_LARGE, SOME_CHAINS),
                new Variant("depthwise-rows", "rows vw=16 nv=1 th=3 cb=3", DEPTHWISE, SOME_CHAINS),
                new Variant("depthwise-plane", null, DEPTHWISE_PLANE, SOME_CHAINS),
                new Variant("depthwise-plane", "plane vw=8 th=3 xc=5 cb=3", DEPTHWISE, SOME_CHAINS),
                new Variant("depthwise-map", null, DEPTHWISE_MAP, SOME_CHAINS),
                new Variant("depthwise-map", "map vw=16 nv=1 th=3 cb=3", DEPTHWISE_MAP, SOME_CHAINS),
                new Variant("depthwise-map", null, DEPTHWISE, SOME_CHAINS),
                new Variant("depthwise-map", "map vw=4 nv=6 th=3 cb=3", DEPTHWISE, SOME_CHAINS),
                new Variant("gemm", "cm vw=16 tm=16 tn=5 ls=1", DENSE, SOME_CHAINS),
                new Variant("gemm", "cm vw=4 tm=8 tn=3 ls=1", DENSE_WIDE, SOME_CHAINS),
                new Variant("gemm", "pv vw=16 tm=2 tn=16 ls=1", DENSE_WIDE, SOME_CHAINS),
                new Variant("gemm", "pv vw=4 tm=3 tn=8 ls=1", DENSE, SOME_CHAINS),
                // without a sum the vectors that cross a row end take the epilogue whole, before their runs are stored
                new Variant("gemm", "pv vw=4 tm=3 tn=8 ls=1", DENSE, List.of("silu", "leaky_relu:0.1+hardswish")),
                new Variant("gemm", "pv vw=4 tm=3 tn=8 ls=1", POINTWISE, SOME_CHAINS),
                new Variant("gemm", "pv vw=16 tm=2 tn=32 ls=1", POINTWISE, SOME_CHAINS),
                new Variant("gemm", "lm wg=4x4 tm=8 tn=8 bk=4", DENSE, SOME_CHAINS),
                new Variant("deform-direct", null, DEFORM, SOME_CHAINS),
                new Variant("deform-gemm", null, DEFORM, SOME_CHAINS),
                new Variant("deform-gemm", "vw=4 pv=1 npt=4 kt=4 nkt=2 cc=2 wg=8", DEFORM, SOME_CHAINS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyPostOpChainMatchesTheReference(Variant v) {
        List<String> failures = new ArrayList<>();
        for (String chain : v.chains()) {
            check(v, (Convolution) Operation.parse(v.problem() + " post=" + chain), failures);
        }
        // the sum before an activation, without bias
        check(v, (Convolution) Operation.parse(v.problem().replace("bias=1", "bias=0") + " post=sum:-2+relu"), failures);
        assertEquals(List.of(), failures);
    }

    /** Padding that differs before and after each axis, with strides and dilations, each implementation. */
    static Stream<Variant> asymmetric() {
        String dense1 = "op=conv2d n=2 c=3 h=7 w=8 k=5 kh=3 kw=2 stride=2,1 pad=2,0,1,3 dil=1,2 bias=1";
        String dense2 = "op=conv2d n=1 c=4 h=9 w=6 k=6 kh=2 kw=3 pad=0,3,2,0 groups=2 bias=1";
        // output rows of 130 and 140: wider than the map kernel's 8 vectors of 16, so the staged kernel's class
        String depthwise1 = "op=conv2d n=1 c=4 h=9 w=259 k=8 kh=3 kw=3 stride=1,2 pad=0,2,3,1 groups=4 bias=1";
        String depthwise2 = "op=conv2d n=2 c=3 h=6 w=140 k=3 kh=3 kw=5 pad=3,0,0,4 dil=2,1 groups=3";
        // output rows of 21 at stride 2 along x and of 19 at stride 1: the map kernel's register rows
        String depthwiseMap1 = "op=conv2d n=1 c=4 h=9 w=41 k=8 kh=3 kw=3 stride=1,2 pad=0,2,3,1 groups=4 bias=1";
        String depthwiseMap2 = "op=conv2d n=2 c=3 h=6 w=19 k=3 kh=3 kw=5 pad=3,0,0,4 dil=2,1 groups=3";
        String depthwise3 = "op=conv2d n=1 c=4 h=9 w=11 k=8 kh=3 kw=3 stride=2,1 pad=0,2,3,1 groups=4 bias=1";
        String deform1 = "op=deform2d n=1 c=4 h=6 w=7 k=3 kh=3 kw=3 pad=2,0,0,1 og=2 mask=1 bias=1";
        String deform2 = "op=deform2d n=2 c=2 h=5 w=6 k=4 kh=2 kw=3 stride=2,1 pad=0,2,3,0 dil=2,1";
        List<Variant> all = new ArrayList<>();
        for (String p : List.of(dense1, dense2)) {
            all.add(new Variant("direct", null, p, List.of()));
            all.add(new Variant("gemm", "cm vw=4 tm=8 tn=3 ls=1", p, List.of()));
            all.add(new Variant("gemm", "pv vw=4 tm=3 tn=8 ls=1", p, List.of()));
            all.add(new Variant("gemm", "lm wg=4x4 tm=8 tn=8 bk=4", p, List.of()));
        }
        for (String p : List.of(depthwise1, depthwise2)) {
            all.add(new Variant("depthwise", null, p, List.of()));
            all.add(new Variant("depthwise", "vw=2 nv=1 th=2 wg=16x8", p, List.of()));
        }
        for (String p : List.of(depthwiseMap1, depthwiseMap2)) {
            all.add(new Variant("depthwise-rows", "rows vw=8 nv=2 th=2 cb=2", p, List.of()));
            if (p.equals(depthwiseMap2)) { // stride 1: the plane kernel's
                all.add(new Variant("depthwise-plane", "plane vw=8 th=2 xc=3 cb=2", p, List.of()));
            }
            all.add(new Variant("depthwise-map", null, p, List.of()));
            all.add(new Variant("depthwise-map", "map vw=4 nv=6 th=2 cb=2", p, List.of()));
        }
        // output rows of 12, 5 of them, stride 2 along y only: the map kernel's (register rows)
        all.add(new Variant("depthwise-map", null, depthwise3, List.of()));
        all.add(new Variant("depthwise-map", "map vw=8 nv=2 th=2 cb=3", depthwise3, List.of()));
        for (String p : List.of(deform1, deform2)) {
            all.add(new Variant("deform-direct", null, p, List.of()));
            all.add(new Variant("deform-gemm", null, p, List.of()));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("asymmetric")
    void asymmetricPaddingMatchesTheReference(Variant v) {
        List<String> failures = new ArrayList<>();
        assertFalse(((Convolution) Operation.parse(v.problem())).window().symmetric(), v.problem());
        check(v, (Convolution) Operation.parse(v.problem() + " post=sum:0.5+relu"), failures);
        assertEquals(List.of(), failures);
    }

    @Test
    void aChainLongerThanTheKernelsHoldIsRejectedWithItsReasonAndRunsOnTheCpuPath() {
        String chain = "relu+sigmoid+relu+sigmoid+relu+sigmoid+relu+sigmoid+relu";
        Convolution op = (Convolution) Operation.parse(DENSE + " post=" + chain);
        assertEquals(List.of(), engine().implementations(op));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine().plan(op, "direct", null));
        assertTrue(e.getMessage().contains("9 steps") && e.getMessage().contains("8"), e.getMessage());
        Map<Arg, HostTensor> data = data(op, 5);
        try (Plan plan = engine().plan(op)) {
            assertEquals("cpu", plan.backend());
            HostTensor out = Tensor.zeros(op.outputShape());
            plan.execute(args(data, Arg.DST, out));
            assertTrue(Accuracy.relativeL2(reference(op, data), out.array()) <= TOLERANCE);
        }
    }

    @Test
    void everyOpenClImplementationAcceptsEveryActivationAndTheSum() {
        for (String chain : CHAINS) {
            Convolution dense = (Convolution) Operation.parse(DENSE + " post=" + chain);
            Convolution dw = (Convolution) Operation.parse(DEPTHWISE + " post=" + chain);
            Convolution dwStaged = (Convolution) Operation.parse(DEPTHWISE_STAGED + " post=" + chain);
            Convolution deform = (Convolution) Operation.parse(DEFORM + " post=" + chain);
            assertEquals(List.of("gemm", "direct"), engine().implementations(dense), chain);
            // the staged kernel declines the map kernel's class by name, so two classes reach all five
            List<String> depthwise = new ArrayList<>(engine().implementations(dw));
            depthwise.addAll(engine().implementations(dwStaged));
            assertEquals(List.of("depthwise", "depthwise-map", "depthwise-plane", "depthwise-rows", "direct"),
                    depthwise.stream().distinct().sorted().toList(), chain);
            assertEquals(List.of("deform-gemm", "deform-direct"), engine().implementations(deform), chain);
        }
    }

    /** Runs {@code op} on the variant's plan with device tensors and compares with the reference. */
    private static void check(Variant v, Convolution op, List<String> failures) {
        Map<Arg, HostTensor> data = data(op, op.toString().hashCode());
        float[] expected = reference(op, data);
        try (Plan plan = engine().plan(op, v.implementation(), v.config())) {
            if (!plan.backend().equals("opencl") || !plan.implementation().equals(v.implementation())) {
                failures.add(v + " " + op + ": ran on " + plan.backend() + " " + plan.implementation());
                return;
            }
            Map<Arg, DeviceTensor> device = new EnumMap<>(Arg.class);
            try {
                for (Map.Entry<Arg, HostTensor> e : data.entrySet()) {
                    device.put(e.getKey(), engine().upload(e.getValue()));
                }
                DeviceTensor y = engine().allocate(op.outputShape());
                device.put(Arg.DST, y);
                Args.Builder b = Args.builder();
                device.forEach(b::set);
                plan.execute(b.build());
                String why = compare(expected, y.toArray());
                if (why != null) {
                    failures.add(v + " " + plan.algorithm() + " " + op + ": " + why);
                }
            } finally {
                device.values().forEach(DeviceTensor::close);
            }
        }
    }

    /** Null when {@code out} matches {@code ref} (NaN in the same places), else what differs. */
    static String compare(float[] ref, float[] out) {
        double l2 = Accuracy.relativeL2(ref, out);
        if (!(l2 <= TOLERANCE)) {
            for (int i = 0; i < ref.length; i++) {
                if (Float.isNaN(ref[i]) != Float.isNaN(out[i])) {
                    return "relative L2 " + l2 + "; element " + i + " is " + out[i] + ", the reference " + ref[i];
                }
            }
            return "relative L2 " + l2 + " > " + TOLERANCE;
        }
        for (int i = 0; i < ref.length; i++) {
            if (!Float.isNaN(ref[i]) && Math.abs(ref[i] - out[i]) > ELEMENT_TOLERANCE * (1 + Math.abs(ref[i]))) {
                return "element " + i + " is " + out[i] + ", the reference " + ref[i];
            }
        }
        return null;
    }

    /**
     * Inputs for {@code op}: input in [-2, 2] with one NaN, weights small enough to keep outputs
     * near the activations' bends, bias in [-1, 1], offsets in [-1.5, 1.5] (some samples leave the
     * image), mask in [0, 1], sum tensor in [-2, 2].
     */
    static Map<Arg, HostTensor> data(Convolution op, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Arg, HostTensor> data = new EnumMap<>(Arg.class);
        for (ArgSpec a : op.arguments()) {
            if (a.arg().isOutput()) {
                continue;
            }
            float[] v = new float[(int) a.size()];
            double range = switch (a.arg()) {
                case WEIGHTS -> 1.2 / Math.sqrt(op.cPerGroup() * op.kh() * op.kw());
                case BIAS, MASK -> 1;
                case OFFSET -> 1.5;
                default -> 2;
            };
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (a.arg() == Arg.MASK ? rnd.nextDouble() : rnd.nextDouble(-range, range));
            }
            if (a.arg() == Arg.SRC) {
                v[v.length / 3] = Float.NaN;
            }
            data.put(a.arg(), Tensor.of(v, a.shape()));
        }
        return data;
    }

    static Args args(Map<Arg, ? extends Tensor> data, Arg role, Tensor t) {
        Args.Builder b = Args.builder();
        data.forEach(b::set);
        return b.set(role, t).build();
    }

    static float[] reference(Convolution op, Map<Arg, HostTensor> data) {
        HostTensor out = Tensor.zeros(op.outputShape());
        ReferenceConv.run(op, args(data, Arg.DST, out));
        return out.array();
    }
}
