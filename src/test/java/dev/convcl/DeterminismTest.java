package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.spi.Implementation;
import dev.convcl.spi.Internals;
import dev.convcl.testing.EachTarget;
import dev.convcl.testing.EachTargetCase;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.ProblemFiles;
import dev.convcl.testing.RoiProblems;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The same call twice on the same device gives bitwise identical output: twice on one plan, on a
 * second plan of the same problem, and as a one-shot call. The problems are those of
 * kernel-coverage.txt, the hand-picked network operations ({@link NetworkProblems#handPicked}) and
 * the RoI operators' kernel-coverage cases ({@link RoiProblems#kernelCoverage}),
 * with random float data, so a change in summation order would show. On every backend, every
 * implementation of the backend's list (the list selection walks) runs every problem it accepts,
 * and {@link #everyImplementationIsWalked} fails when an implementation accepts none of them.
 */
class DeterminismTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    /**
     * A problem with the name of its line (or the operator), for case names and messages, its
     * arguments, and the value the output starts as so that an element left unwritten shows: NaN,
     * the RoI problems' sentinel (ps_roi_align's empty bins are NaN by definition), or null for a
     * channel copy, which writes a slice of an output that keeps its random start.
     */
    record Problem(String name, Operation op, Supplier<Args> arguments, Float unwritten) {
        @Override
        public String toString() {
            return name + " (" + op + ")";
        }
    }

    static List<Problem> all() {
        List<Problem> l = new ArrayList<>();
        for (ProblemFiles.Named p : ProblemFiles.kernelCoverage()) {
            l.add(new Problem(p.name(), p.spec(), () -> Tensors.args(p.spec(), 77, false, 2.5), Float.NaN));
        }
        for (Operation op : NetworkProblems.handPicked()) {
            l.add(new Problem(op.name(), op, () -> NetworkProblems.randomArgs(op, 77),
                    op instanceof ChannelCopy ? null : Float.NaN));
        }
        for (RoiProblems.Case c : RoiProblems.kernelCoverage()) {
            l.add(new Problem(c.name(), c.op(), c::args, RoiProblems.SENTINEL));
        }
        return l;
    }

    private static String firstDifference(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return "element " + i + ": " + a[i] + " then " + b[i];
            }
        }
        return null;
    }

    private static Args withFreshOutput(Args first, Problem p) {
        HostTensor dst = (HostTensor) first.get(Arg.DST);
        float[] o = dst.toArray();
        if (p.unwritten() != null) {
            Arrays.fill(o, p.unwritten());
        }
        return first.with(Arg.DST, Tensor.of(o, dst.shape()));
    }

    /**
     * Every implementation of the backend's list accepts at least one problem here, so the walk
     * below reaches it (an implementation added without a problem it accepts fails this).
     */
    @EachTarget
    void everyImplementationIsWalked(Target target) {
        Engine engine = ENGINES.get(target);
        List<Problem> problems = all();
        for (Implementation impl : Internals.primary(engine).implementations()) {
            assertTrue(problems.stream().anyMatch(p -> impl.validate(p.op()).isEmpty()),
                    impl.name() + " on " + target + " accepts none of the determinism problems (kernel-coverage.txt,"
                            + " NetworkProblems.handPicked, RoiProblems.kernelCoverage): add one it accepts");
        }
    }

    /**
     * Every implementation that accepts the problem: its plan twice, and a second plan of it; then
     * the one-shot call, which runs what selection picks (the first of the list). A problem that no
     * implementation of the device accepts (a network operation without an OpenCL kernel yet) runs
     * as two one-shot calls, on the path selection falls back to.
     */
    @EachTargetCase("all")
    void sameCallGivesSameBits(Target target, Problem p) {
        Engine engine = ENGINES.get(target);
        Operation op = p.op();
        Args first = p.arguments().get();
        if (engine.implementations(op).isEmpty()) {
            Args once = withFreshOutput(first, p);
            Args again = withFreshOutput(first, p);
            engine.execute(op, once);
            engine.execute(op, again);
            assertEquals(null, firstDifference(Tensors.out(once), Tensors.out(again)),
                    "one-shot call (no implementation on " + target + "), second call: " + p);
            return;
        }
        Map<String, float[]> byImplementation = new HashMap<>();
        Implementations.check(engine, target, op, plan -> {
            Args once = withFreshOutput(first, p);
            Args again = withFreshOutput(first, p);
            Args otherPlan = withFreshOutput(first, p);
            plan.execute(once);
            plan.execute(again);
            try (Plan second = engine.plan(op, plan.implementation(), null)) {
                second.execute(otherPlan);
            }
            float[] ref = Tensors.out(once);
            assertEquals(null, firstDifference(ref, Tensors.out(again)), "same plan, second call: " + p);
            assertEquals(null, firstDifference(ref, Tensors.out(otherPlan)), "second plan: " + p);
            for (int i = 0; p.unwritten() != null && i < ref.length; i++) { // every element must have been written
                assertEquals(false, Float.floatToRawIntBits(ref[i]) == Float.floatToRawIntBits(p.unwritten()),
                        "element " + i + " was not written: " + p);
            }
            byImplementation.put(plan.implementation(), ref);
        });
        Args oneShot = withFreshOutput(first, p);
        engine.execute(op, oneShot);
        String selected = engine.implementations(op).get(0);
        assertEquals(null, firstDifference(byImplementation.get(selected), Tensors.out(oneShot)),
                "one-shot call against a plan of " + selected + ": " + p);
    }
}
