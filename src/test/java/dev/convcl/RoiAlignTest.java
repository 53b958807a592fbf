package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.RoiProblems;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every implementation of roi_align, ps_roi_align and deform_roi_pool on every backend must
 * do: match {@link dev.convcl.reference.ReferenceRoi} within relative L2 1e-5 (NaN in the same
 * places, every output element written) on {@link RoiProblems}' cases, through host tensors and
 * device tensors; deform_roi_pool with zero offsets equals aligned roi_align bit for bit; bad RoI
 * values are refused on the host before any work, with the output untouched.
 */
class RoiAlignTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    static Stream<Arguments> handPicked() {
        return Target.each(() -> RoiProblems.handPicked().stream().map(Arguments::of));
    }

    static Stream<Arguments> manyRois() {
        return Target.each(() -> RoiProblems.manyRois().stream().map(Arguments::of));
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("handPicked")
    void handPickedMatchReference(Target target, RoiProblems.Case c) {
        check(target, c);
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("manyRois")
    void manyRoisMatchReferenceWithoutScratch(Target target, RoiProblems.Case c) {
        Engine engine = ENGINES.get(target);
        long before = engine.stats().deviceBytes();
        check(target, c);
        try (Plan plan = engine.plan(c.op())) {
            long planBytes = engine.stats().deviceBytes() - before;
            assertEquals(0, planBytes, "a plan of " + c.op() + " allocated " + planBytes + " bytes before any call");
            Args args = c.args();
            plan.execute(args);
            long args0 = 0;
            for (ArgSpec a : c.op().arguments()) {
                args0 += a.size() * c.op().dataType().bytes();
            }
            long held = engine.stats().deviceBytes() - before;
            assertTrue(held <= args0 + 64 * 1024, "a call holds " + held + " bytes; its tensors are " + args0);
        }
    }

    private static void check(Target target, RoiProblems.Case c) {
        float[] expected = c.expected();
        Engine engine = ENGINES.get(target);
        Implementations.check(engine, target, c.op(), plan -> {
            Args host = c.args();
            plan.execute(host);
            RoiProblems.assertClose(expected, ((HostTensor) host.get(Arg.DST)).toArray(),
                    plan.implementation() + " (host tensors) " + c.name());
            // again, every input on the device
            RoiProblems.assertClose(expected, Tensors.executeOnDevice(engine, plan, c.args()),
                    plan.implementation() + " (device tensors) " + c.name());
        });
    }

    static Stream<Arguments> torchvisionCases() {
        // mmcv's deform_roi_pool has no torchvision call to mirror
        return Target.each(() -> RoiProblems.handPicked().stream()
                .filter(c -> c.op().kind() != RoiAlign.Kind.DEFORM_ROI_POOL).map(Arguments::of));
    }

    /**
     * The one-shot calls, {@code engine.roiAlign(...)} and {@code engine.psRoiAlign(...)} (torchvision's
     * argument order), give the reference's result: the descriptor they derive from the tensors'
     * shapes and their arguments is the case's own.
     */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("torchvisionCases")
    void oneShotCallsMatchReference(Target target, RoiProblems.Case c) {
        RoiAlign op = c.op();
        Engine engine = ENGINES.get(target);
        Args args = c.args();
        Tensor input = args.get(Arg.SRC);
        Tensor boxes = args.get(Arg.ROIS);
        HostTensor out = op.kind() == RoiAlign.Kind.ROI_ALIGN
                ? engine.roiAlign(input, boxes, op.outH(), op.outW(), op.spatialScale(), op.samplingRatio(), op.aligned())
                : engine.psRoiAlign(input, boxes, op.outH(), op.outW(), op.spatialScale(), op.samplingRatio());
        assertArrayEquals(op.outputShape(), out.shape(), "output shape of " + op);
        RoiProblems.assertClose(c.expected(), out.toArray(), "engine one-shot call, " + c.name() + ": " + op);
    }

    @Test
    void oneShotCallsRefuseBoxesThatAreNotRowsOfFive() {
        Engine engine = ENGINES.get(Target.all().findFirst().orElseThrow());
        HostTensor input = HostTensor.zeros(1, 4, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine.roiAlign(input, HostTensor.zeros(2, 4), 2, 2, 1f, 2, false));
        assertEquals("boxes [2, 4] must be [K, 5]: rows of (batch_index, x1, y1, x2, y2)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> engine.psRoiAlign(input, HostTensor.zeros(5), 2, 2, 1f, 2));
        assertEquals("boxes has rank 1 (shape [5]); expected rank 2", e.getMessage());
    }

    static Stream<Arguments> alignedRoiAlignCases() {
        return Target.each(() -> RoiProblems.handPicked().stream().filter(c -> c.op().kind() == RoiAlign.Kind.ROI_ALIGN
                && c.op().aligned() && c.op().samplingRatio() >= 0).map(Arguments::of));
    }

    /**
     * mmcv's deform_roi_pool without offsets (or with zero offsets) and torchvision's aligned
     * roi_align compute the same RoI geometry, grid and border rule, so they agree bit for bit
     * on every RoI, those outside the map and the degenerate ones included (where torchvision's CPU
     * kernel raises instead, for x2 < x1 with adaptive sampling, both give 0 as its CUDA kernel does).
     */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("alignedRoiAlignCases")
    void deformRoiPoolWithZeroOffsetsIsAlignedRoiAlign(Target target, RoiProblems.Case c) {
        RoiAlign op = c.op();
        Engine engine = ENGINES.get(target);
        RoiAlign withOffset = RoiAlign.deformRoiPool(op.n(), op.c(), op.h(), op.w(), op.rois(), op.outH(), op.outW(),
                op.spatialScale(), op.samplingRatio(), 0.1f, true, false);
        RoiAlign without = RoiAlign.deformRoiPool(op.n(), op.c(), op.h(), op.w(), op.rois(), op.outH(), op.outW(),
                op.spatialScale(), op.samplingRatio(), 0.1f, false, false);
        Args a = c.args();
        engine.execute(op, a);
        float[] zeros = new float[op.rois() * 2 * op.outH() * op.outW()];
        for (RoiProblems.Case d : List.of(new RoiProblems.Case("zero offsets", withOffset, c.rois(), zeros, null, c.seed()),
                new RoiProblems.Case("no offsets", without, c.rois(), null, null, c.seed()))) {
            Args b = d.args();
            engine.execute(d.op(), b);
            assertArrayEquals(((HostTensor) a.get(Arg.DST)).toArray(), ((HostTensor) b.get(Arg.DST)).toArray(),
                    d.name() + ": " + d.op() + " vs " + op);
        }
    }

    static Stream<Arguments> badRois() {
        return Target.each(() -> Stream.of(
                Arguments.of(new float[] {2, 0, 0, 3, 3}, "rois[0, 0] = 2.0: batch index must be in [0, 2)"),
                Arguments.of(new float[] {-1, 0, 0, 3, 3}, "rois[0, 0] = -1.0: batch index must be in [0, 2)"),
                Arguments.of(new float[] {0, Float.NaN, 0, 3, 3}, "rois[0, 1] = NaN: every coordinate must be finite"),
                Arguments.of(new float[] {0, 0, 0, Float.POSITIVE_INFINITY, 3},
                        "rois[0, 3] = Infinity: every coordinate must be finite"),
                Arguments.of(new float[] {Float.NaN, 0, 0, 3, 3}, "rois[0, 0] = NaN: the batch index must be finite"),
                // finite coordinates whose size overflows a float: NaN bins, refused like a non-finite coordinate
                Arguments.of(new float[] {0, -3e38f, -3e38f, 3e38f, 3e38f}, "rois[0] = (0.0, -3.0E38, -3.0E38, 3.0E38, "
                        + "3.0E38): its width, x2 - x1 times the spatial scale in float, is Infinity; a RoI's width and "
                        + "height must be finite"),
                Arguments.of(new float[] {0, 0, 3e38f, 3, -3e38f}, "rois[0] = (0.0, 0.0, 3.0E38, 3.0, -3.0E38): its "
                        + "height, y2 - y1 times the spatial scale in float, is -Infinity; a RoI's width and height must "
                        + "be finite"),
                Arguments.of(new float[] {0, 0, 0, 3e9f, 3e9f}, "rois[0] = (0.0, 0.0, 0.0, 3.0E9, 3.0E9): adaptive "
                        + "sampling would take about 2250000000000000000 samples a bin at scale=1.0; it must stay below "
                        + "2^31 (give sr > 0, a smaller RoI or a smaller scale)")));
    }

    /**
     * A RoI whose size overflows a float is refused with a fixed sampling ratio too (it gave NaN
     * there, while adaptive sampling refused it), and so is one the spatial scale makes overflow.
     */
    @Test
    void aRoiSizeThatOverflowsAFloatIsRefusedAtAnySamplingRatio() {
        RoiAlign fixed = RoiAlign.roiAlign(1, 1, 4, 4, 1, 2, 2, 1f, 2, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fixed.checkRois(new float[] {0, -3e38f, -3e38f, 3e38f, 3e38f}));
        assertEquals("rois[0] = (0.0, -3.0E38, -3.0E38, 3.0E38, 3.0E38): its width, x2 - x1 times the spatial scale in "
                + "float, is Infinity; a RoI's width and height must be finite", e.getMessage());
        RoiAlign scaled = RoiAlign.roiAlign(1, 1, 4, 4, 1, 2, 2, 16f, 2, true);
        e = assertThrows(IllegalArgumentException.class, () -> scaled.checkRois(new float[] {0, 0, 0, 3e38f, 1}));
        assertEquals("rois[0] = (0.0, 0.0, 0.0, 3.0E38, 1.0): its width, x2 - x1 times the spatial scale in float, is "
                + "Infinity; a RoI's width and height must be finite", e.getMessage());
        fixed.checkRois(new float[] {0, -1e38f, -1e38f, 1e38f, 1e38f}); // large, but finite in float
    }

    /** A bad RoI value is refused by the plan before any work, naming the value and the rule; the output stays as it was. */
    @ParameterizedTest(name = "[{0}] {2}")
    @MethodSource("badRois")
    void badRoiValuesAreRefusedBeforeAnyWork(Target target, float[] bad, String message) {
        Engine engine = ENGINES.get(target);
        RoiAlign op = RoiAlign.roiAlign(2, 3, 6, 7, 2, 2, 2, 1f, 0, true);
        float[] rois = RoiProblems.concat(new float[] {1, 0, 0, 2, 2}, bad);
        String row1 = message.replace("rois[0", "rois[1");
        RoiProblems.Case c = new RoiProblems.Case("bad", op, rois, null, null, 3);
        for (boolean device : new boolean[] {false, true}) {
            Args a = c.args();
            DeviceTensor d = device ? engine.upload((HostTensor) a.get(Arg.ROIS)) : null;
            Args call = device ? Args.builder().src(a.get(Arg.SRC)).rois(d).dst(a.get(Arg.DST)).build() : a;
            long launches = engine.stats().kernelLaunches();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.execute(op, call));
            assertTrue(e.getMessage().contains(row1), e.getMessage() + " should say: " + row1);
            assertEquals(launches, engine.stats().kernelLaunches(), "a kernel ran before the check");
            float[] out = ((HostTensor) a.get(Arg.DST)).toArray();
            float[] untouched = new float[out.length];
            Arrays.fill(untouched, RoiProblems.SENTINEL);
            assertArrayEquals(untouched, out, "the output was written");
            if (d != null) {
                d.close();
            }
        }
        // bound as a constant: refused at bind, where the row was given, and the plan stays unbound
        try (Plan plan = engine.plan(op)) {
            Args a = c.args();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan.bind(Arg.ROIS, a.get(Arg.ROIS)));
            assertTrue(e.getMessage().contains(row1), "bind: " + e.getMessage() + " should say: " + row1);
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> plan.execute(Args.builder().src(a.get(Arg.SRC)).dst(a.get(Arg.DST)).build()));
            assertTrue(missing.getMessage().contains("rois"), "the refused rows must not stay bound: " + missing.getMessage());
        }
    }

    /** Offsets and masks of the wrong shape, or given where the descriptor takes none, are refused by name. */
    @ParameterizedTest(name = "[{0}]")
    @MethodSource("dev.convcl.testing.Target#all")
    void offsetAndMaskShapesAreChecked(Target target) {
        Engine engine = ENGINES.get(target);
        RoiAlign op = RoiAlign.deformRoiPool(1, 2, 5, 5, 3, 2, 2, 1f, 0, 0.1f, true, true);
        RoiProblems.Case c = new RoiProblems.Case("ok", op, new float[] {0, 0, 0, 2, 2, 0, 1, 1, 4, 4, 0, 2, 0, 3, 4},
                new float[3 * 2 * 4], new float[3 * 4], 5);
        Args good = c.args();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.execute(op,
                Args.builder().src(good.get(Arg.SRC)).rois(good.get(Arg.ROIS)).offset(Tensor.of(new float[3 * 4], 3, 2, 2,
                        1)).set(Arg.MASK, good.get(Arg.MASK)).dst(good.get(Arg.DST)).build()));
        assertTrue(e.getMessage().contains("offset"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> engine.execute(op, Args.builder().src(good.get(Arg.SRC))
                .rois(good.get(Arg.ROIS)).offset(good.get(Arg.OFFSET)).set(Arg.MASK, Tensor.of(new float[3 * 8], 3, 2, 2,
                        2)).dst(good.get(Arg.DST)).build()));
        assertTrue(e.getMessage().contains("mask"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> engine.execute(op, Args.builder().src(good.get(Arg.SRC))
                .rois(Tensor.of(new float[12], 3, 4)).offset(good.get(Arg.OFFSET)).set(Arg.MASK, good.get(Arg.MASK))
                .dst(good.get(Arg.DST)).build()));
        assertTrue(e.getMessage().contains("rois") && e.getMessage().contains("[3, 4]"), e.getMessage());
        RoiAlign plain = RoiAlign.roiAlign(1, 2, 5, 5, 3, 2, 2, 1f, 0, true);
        e = assertThrows(IllegalArgumentException.class, () -> engine.execute(plain, Args.builder()
                .src(good.get(Arg.SRC)).rois(good.get(Arg.ROIS)).offset(good.get(Arg.OFFSET))
                .dst(good.get(Arg.DST)).build()));
        assertTrue(e.getMessage().contains("offset tensor was given but op=roi_align takes none"), e.getMessage());
    }

    /** The one-line form reads back into an equal descriptor, for every problem. */
    @org.junit.jupiter.api.Test
    void oneLineFormReadsBack() {
        List<RoiProblems.Case> all = new ArrayList<>(RoiProblems.handPicked());
        all.addAll(RoiProblems.kernelCoverage());
        for (RoiProblems.Case c : all) {
            assertEquals(c.op(), Operation.parse(c.op().toString()), c.op().toString());
            assertEquals(c.op(), RoiAlign.parse(c.op().toString()));
        }
        assertEquals(RoiAlign.roiAlign(1, 2, 3, 4, 5, 7, 7, 1f, -1, false),
                Operation.parse("op=roi_align n=1 c=2 h=3 w=4 rois=5 ph=7 pw=7"), "torchvision's defaults");
        assertEquals(RoiAlign.deformRoiPool(1, 2, 3, 4, 5, 7, 7, 1f, 0, 0.1f, false, false),
                Operation.parse("op=deform_roi_pool n=1 c=2 h=3 w=4 rois=5 ph=7 pw=7"), "mmcv's defaults");
    }

    /** Each rule of the descriptor, by its message: the field, the value and the rule. */
    @org.junit.jupiter.api.Test
    void everyRuleNamesTheFieldValueAndRule() {
        String[][] cases = {
            {"op=roi_align n=1 c=2 h=3 w=4 rois=0 ph=7 pw=7", "rois=0 must be at least 1"},
            {"op=roi_align n=1 c=2 h=3 w=4 rois=1 ph=0 pw=7", "ph=0 must be at least 1"},
            {"op=roi_align n=1 c=2 h=3 w=4 rois=1 ph=2 pw=2 scale=0", "scale=0 (spatial_scale) must be finite and positive"},
            {"op=roi_align n=1 c=2 h=3 w=4 rois=1 ph=2 pw=2 scale=NaN", "scale=NaN (spatial_scale) must be finite"},
            {"op=roi_align n=1 c=2 h=3 w=4 rois=1 ph=2 pw=2 gamma=0.5", "apply to deform_roi_pool only, not roi_align"},
            {"op=ps_roi_align n=1 c=6 h=3 w=4 rois=1 ph=2 pw=2", "c=6 must be a multiple of ph*pw=4 for ps_roi_align"},
            {"op=ps_roi_align n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 aligned=1", "aligned applies to roi_align only"},
            {"op=deform_roi_pool n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 sr=-1",
                "sr=-1 (sampling_ratio) must be 0 (adaptive) or positive for deform_roi_pool"},
            {"op=deform_roi_pool n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 gamma=Infinity", "gamma=Infinity must be finite"},
            {"op=roi_align n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 sr=46341",
                "sr=46341 (sampling_ratio) must be at most 46340: a bin's grid of samples, the ratio squared, must stay "
                + "below 2^31"},
            {"op=deform_roi_pool n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 sr=2147483647", "sr=2147483647 (sampling_ratio) must be"
                + " at most 46340"},
            {"op=roi_align n=1 c=65536 h=3 w=4 rois=65536 ph=2 pw=2", "output would have 17179869184 elements"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Operation.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
        // the bound itself is accepted: 46340^2 samples a bin still fit an int
        assertEquals(RoiAlign.MAX_SAMPLING_RATIO,
                Operation.parse("op=ps_roi_align n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 sr=46340") instanceof RoiAlign r
                        ? r.samplingRatio() : -1);
        assertTrue((long) RoiAlign.MAX_SAMPLING_RATIO * RoiAlign.MAX_SAMPLING_RATIO <= Integer.MAX_VALUE
                && (long) (RoiAlign.MAX_SAMPLING_RATIO + 1) * (RoiAlign.MAX_SAMPLING_RATIO + 1) > Integer.MAX_VALUE);
    }

    /**
     * A refused field is reported as such, its key and value apart from the rule, so that a caller
     * (the command-line tool) names it its own way instead of editing the message.
     */
    @org.junit.jupiter.api.Test
    void aRefusedFieldCarriesItsKeyValueAndRule() {
        String[][] cases = {
            {"op=roi_align n=1 c=2 h=3 w=4 rois=1 ph=0 pw=7", "ph", "0", "must be at least 1"},
            {"op=roi_align n=1 c=2 h=3 w=4 rois=1 ph=7 pw=0", "pw", "0", "must be at least 1"},
            {"op=roi_align n=1 c=2 h=3 w=4 rois=1 ph=2 pw=2 scale=0", "scale", "0", "must be finite and positive"}, // as typed
            {"op=ps_roi_align n=1 c=6 h=3 w=4 rois=1 ph=2 pw=2", "c", "6",
                "must be a multiple of ph*pw=4 for ps_roi_align (c = c_out * ph * pw)"},
            {"op=deform_roi_pool n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 sr=-1", "sr", "-1",
                "must be 0 (adaptive) or positive for deform_roi_pool"},
            {"op=roi_align n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 sr=46341", "sr", "46341",
                "must be at most 46340: a bin's grid of samples, the ratio squared, must stay below 2^31"},
            {"op=deform_roi_pool n=1 c=4 h=3 w=4 rois=1 ph=2 pw=2 gamma=NaN", "gamma", "NaN", "must be finite"},
        };
        for (String[] c : cases) {
            dev.convcl.text.FieldException e = assertThrows(dev.convcl.text.FieldException.class,
                    () -> Operation.parse(c[0]), c[0]);
            assertEquals(List.of(c[1], c[2], c[3]), List.of(e.field(), e.value(), e.rule()), c[0]);
            assertTrue(e.getMessage().startsWith(c[1] + "=" + c[2] + " ") && e.getMessage().endsWith(" " + c[3]),
                    e.getMessage());
        }
    }

    /**
     * Only deform_roi_pool with offsets has an offset tensor [K, 2, PH, PW]: an operator without one
     * is not refused for its size (roi_align with 1 channel: output 2^30 elements, the offset it does
     * not have 2^31), one with offsets is, naming it.
     */
    @Test
    void onlyAnOffsetThatExistsMustFit32BitIndexing() {
        assertDoesNotThrow(() -> Operation.parse("op=roi_align n=1 c=1 h=1 w=1 rois=16384 ph=256 pw=256"));
        assertDoesNotThrow(() -> Operation.parse("op=deform_roi_pool n=1 c=1 h=1 w=1 rois=16384 ph=256 pw=256"));
        dev.convcl.text.SizeException e = assertThrows(dev.convcl.text.SizeException.class,
                () -> Operation.parse("op=deform_roi_pool n=1 c=1 h=1 w=1 rois=16384 ph=256 pw=256 offset=1"));
        assertEquals("offset", e.tensor());
        assertEquals("offset would have 2147483648 elements, more than the 2^31-1 that 32-bit indexing allows",
                e.getMessage());
    }
    /** The work count the command line bounds (--max-samples): RoIs x output channels x bins x each RoI's grid. */
    @Test
    void samplesCountEachRoisGrid() {
        RoiAlign fixed = RoiAlign.psRoiAlign(1, 8, 8, 8, 2, 2, 2, 1f, 3);
        assertEquals(2.0 * 2 * 4 * 9, fixed.samples(new float[10]));
        // aligned: 8 x 4 in input coordinates over 2x2 bins, grids of 2 (rows) x 4 (columns); a box
        // with x2 < x1 takes none
        RoiAlign aligned = RoiAlign.roiAlign(1, 3, 8, 8, 2, 2, 2, 1f, 0, true);
        assertEquals(3.0 * 4 * 2 * 4, aligned.samples(new float[] {0, 0.5f, 0.5f, 8.5f, 4.5f, 0, 4, 0, 2, 4}));
        // unaligned: sizes raised to 1, one sample a bin
        RoiAlign unaligned = RoiAlign.roiAlign(1, 3, 8, 8, 1, 2, 2, 1f, -1, false);
        assertEquals(3.0 * 4, unaligned.samples(new float[] {0, 1, 1, 1, 1}));
        assertThrows(IllegalArgumentException.class, () -> unaligned.samples(new float[4]));
    }
    /**
     * The grid is sized in float, as roi_align.cl and CpuRoiAlign size it: RoI (0, 0, 0, 70, 70) at
     * scale 0.1f is 7.0f wide on the map (7.0000001 in double), one sample a bin over 7x7 bins, not 2x2.
     */
    @Test
    void samplesSizeTheGridInFloatAsTheKernelsDo() {
        RoiAlign probe = RoiAlign.roiAlign(1, 1, 8, 8, 1, 7, 7, 0.1f, 0, false);
        float[] roi = {0, 0, 0, 70, 70};
        assertEquals(49.0, probe.samples(roi));
        assertEquals(49.0, kernelSamples(probe, roi));
        int differs = 0;
        for (float scale : new float[] {0.1f, 0.0625f, 1f / 3, 0.3f, 0.7f, 0.2f}) {
            for (int kind = 0; kind < 3; kind++) {
                RoiAlign op = switch (kind) {
                    case 0 -> RoiAlign.roiAlign(1, 2, 8, 8, 1, 7, 5, scale, 0, false);
                    case 1 -> RoiAlign.roiAlign(1, 2, 8, 8, 1, 7, 5, scale, 0, true);
                    default -> RoiAlign.psRoiAlign(1, 35, 8, 8, 1, 7, 5, scale, 0);
                };
                for (int m = 1; m <= 40; m++) {
                    // x2 and y2 where size / P is (nearly) a whole number m: the grid's boundary
                    float[] r = {0, 3, 1, 3 + m * 5 / scale, 1 + m * 7 / scale};
                    double counted = op.samples(r), taken = kernelSamples(op, r);
                    assertEquals(taken, counted, op + " on " + Arrays.toString(r));
                    double[] d = doubleGrid(op, r);
                    if (d[0] * d[1] * op.outC() * op.outH() * op.outW() != taken) {
                        differs++;
                    }
                }
            }
        }
        assertTrue(differs > 0, "no case where the double-precision grid differs: the sweep misses the boundary");
    }

    /**
     * checkRois bounds a bin's adaptive grid as the kernels take it (in float, as samples counts
     * it), not by an estimate in double: RoI (0, 0, 0, 463400, 463400) at scale 0.1f over one bin is
     * 46340.0f on the map (46340.0007 in double), 46340 x 46340 = 2147395600 samples a bin, which
     * the kernels' int count holds; the estimate, 46341 (+1) a side, refused it. 46341 a side is
     * refused, naming that count.
     */
    @Test
    void checkRoisBoundsTheGridTheKernelsTake() {
        RoiAlign op = RoiAlign.roiAlign(1, 1, 8, 8, 1, 1, 1, 0.1f, 0, false);
        float[] fits = {0, 0, 0, 463400, 463400};
        assertEquals(46340.0 * 46340, op.samples(fits));
        assertEquals(46340.0 * 46340, kernelSamples(op, fits));
        assertDoesNotThrow(() -> op.checkRois(fits));
        float[] over = {0, 0, 0, 463410, 463410};
        assertEquals(46341.0 * 46341, kernelSamples(op, over));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.checkRois(over));
        assertEquals("rois[0] = (0.0, 0.0, 0.0, 463410.0, 463410.0): adaptive sampling would take about 2147488281 "
                + "samples a bin at scale=0.1; it must stay below 2^31 (give sr > 0, a smaller RoI or a smaller scale)",
                e.getMessage());
    }

    /** RoI coordinates must be finite: samples names the row, column and value. */
    @Test
    void samplesRefuseNonFiniteRois() {
        RoiAlign op = RoiAlign.roiAlign(1, 1, 8, 8, 2, 7, 7, 0.1f, 0, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> op.samples(new float[] {0, 0, 0, 70, 70, 0, 1, 2, Float.NaN, 4}));
        assertEquals("rois[1, 3] = NaN: every coordinate must be finite", e.getMessage());
        RoiAlign fixed = RoiAlign.roiAlign(1, 1, 8, 8, 1, 7, 7, 0.1f, 2, false);
        e = assertThrows(IllegalArgumentException.class,
                () -> fixed.samples(new float[] {Float.POSITIVE_INFINITY, 0, 0, 1, 1}));
        assertEquals("rois[0, 0] = Infinity: the batch index must be finite", e.getMessage());
    }

    /**
     * The samples the kernels take on the RoIs, counted by walking their loops (roi_align.cl,
     * CpuRoiAlign), with their float arithmetic written out here.
     */
    private static double kernelSamples(RoiAlign op, float[] rois) {
        double total = 0;
        for (int k = 0; k < op.rois(); k++) {
            float o = op.kind() == RoiAlign.Kind.ROI_ALIGN && !op.aligned() ? 0f : 0.5f, s = op.spatialScale();
            float sw = rois[k * 5 + 1] * s - o, sh = rois[k * 5 + 2] * s - o;
            float ew = rois[k * 5 + 3] * s - o, eh = rois[k * 5 + 4] * s - o;
            float rw = ew - sw, rh = eh - sh;
            if (o == 0f) {
                rw = rw < 1f ? 1f : rw;
                rh = rh < 1f ? 1f : rh;
            }
            int gh = op.samplingRatio() > 0 ? op.samplingRatio() : (int) Math.ceil(rh / (float) op.outH());
            int gw = op.samplingRatio() > 0 ? op.samplingRatio() : (int) Math.ceil(rw / (float) op.outW());
            for (int c = 0; c < op.outC(); c++) {
                for (int bin = 0; bin < op.outH() * op.outW(); bin++) {
                    for (int iy = 0; iy < gh; iy++) {
                        for (int ix = 0; ix < gw; ix++) {
                            total++;
                        }
                    }
                }
            }
        }
        return total;
    }

    /** The grid (gh, gw) of RoI 0 sized in double, as samples did before. */
    private static double[] doubleGrid(RoiAlign op, float[] r) {
        double o = op.pixelShift(), s = op.spatialScale();
        double rw = (r[3] * s - o) - (r[1] * s - o), rh = (r[4] * s - o) - (r[2] * s - o);
        if (o == 0) {
            rw = Math.max(rw, 1);
            rh = Math.max(rh, 1);
        }
        return new double[] {Math.max(0, Math.ceil(rh / op.outH())), Math.max(0, Math.ceil(rw / op.outW()))};
    }
}
