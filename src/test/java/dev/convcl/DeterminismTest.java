package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.spi.Implementation;
import dev.convcl.spi.Internals;
import dev.convcl.testing.Engines;
import dev.convcl.testing.Implementations;
import dev.convcl.testing.ProblemFiles;
import dev.convcl.testing.Target;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same call twice on the same device gives bitwise identical output: twice on one plan, on a
 * second plan of the same problem, and as a one-shot call. The problems are those of
 * kernel-coverage.txt and the hand-picked network operations ({@link NetworkProblems#handPicked}),
 * with random float data, so a change in summation order would show. On every backend, every
 * implementation of the backend's list (the list selection walks) runs every problem it accepts,
 * and {@link #everyImplementationIsWalked} fails when an implementation accepts none of them.
 */
class DeterminismTest {
    @RegisterExtension
    static final Engines ENGINES = new Engines();

    /** A problem with the name of its line (or the operator), for case names and messages. */
    record Problem(String name, Operation op) {
        @Override
        public String toString() {
            return name + " (" + op + ")";
        }
    }

    static List<Problem> all() {
        List<Problem> l = new ArrayList<>();
        for (ProblemFiles.Named p : ProblemFiles.kernelCoverage()) {
            l.add(new Problem(p.name(), p.spec()));
        }
        for (Operation op : NetworkProblems.handPicked()) {
            l.add(new Problem(op.name(), op));
        }
        return l;
    }

    static Stream<Arguments> problems() {
        return Target.eachOf(() -> all().stream());
    }

    static Stream<Target> targets() {
        return Target.all();
    }

    private static String firstDifference(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return "element " + i + ": " + a[i] + " then " + b[i];
            }
        }
        return null;
    }

    /** Random arguments, the output full of NaN (a channel copy writes a slice: its output keeps the random values). */
    private static Args arguments(Operation op) {
        if (op instanceof Convolution c) {
            return Tensors.args(c, 77, false, 2.5);
        }
        return NetworkProblems.randomArgs(op, 77);
    }

    private static Args withFreshOutput(Args first, Operation op) {
        HostTensor dst = (HostTensor) first.get(Arg.DST);
        float[] o = dst.toArray();
        if (!(op instanceof ChannelCopy)) {
            Arrays.fill(o, Float.NaN);
        }
        return first.with(Arg.DST, Tensor.of(o, dst.shape()));
    }

    /**
     * Every implementation of the backend's list accepts at least one problem here, so the walk
     * below reaches it (an implementation added without a problem it accepts fails this).
     */
    @ParameterizedTest(name = "[{0}]")
    @MethodSource("targets")
    void everyImplementationIsWalked(Target target) {
        Engine engine = ENGINES.get(target);
        List<Problem> problems = all();
        for (Implementation impl : Internals.primary(engine).implementations()) {
            assertTrue(problems.stream().anyMatch(p -> impl.validate(p.op()).isEmpty()),
                    impl.name() + " on " + target + " accepts none of the determinism problems"
                            + " (kernel-coverage.txt, NetworkProblems.handPicked): add one it accepts");
        }
    }

    /**
     * Every implementation that accepts the problem: its plan twice, and a second plan of it; then
     * the one-shot call, which runs what selection picks (the first of the list). A problem that no
     * implementation of the device accepts (a network operation without an OpenCL kernel yet) runs
     * as two one-shot calls, on the path selection falls back to.
     */
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("problems")
    void sameCallGivesSameBits(Target target, Problem p) {
        Engine engine = ENGINES.get(target);
        Operation op = p.op();
        Args first = arguments(op);
        if (engine.implementations(op).isEmpty()) {
            Args once = withFreshOutput(first, op);
            Args again = withFreshOutput(first, op);
            engine.execute(op, once);
            engine.execute(op, again);
            assertEquals(null, firstDifference(Tensors.out(once), Tensors.out(again)),
                    "one-shot call (no implementation on " + target + "), second call: " + p);
            return;
        }
        Map<String, float[]> byImplementation = new HashMap<>();
        Implementations.check(engine, target, op, plan -> {
            Args once = withFreshOutput(first, op);
            Args again = withFreshOutput(first, op);
            Args otherPlan = withFreshOutput(first, op);
            plan.execute(once);
            plan.execute(again);
            try (Plan second = engine.plan(op, plan.implementation(), null)) {
                second.execute(otherPlan);
            }
            float[] ref = Tensors.out(once);
            assertEquals(null, firstDifference(ref, Tensors.out(again)), "same plan, second call: " + p);
            assertEquals(null, firstDifference(ref, Tensors.out(otherPlan)), "second plan: " + p);
            for (int i = 0; i < ref.length; i++) { // outputs start as NaN: all must have been written
                assertEquals(false, Float.isNaN(ref[i]), "element " + i + " was not written: " + p);
            }
            byImplementation.put(plan.implementation(), ref);
        });
        Args oneShot = withFreshOutput(first, op);
        engine.execute(op, oneShot);
        String selected = engine.implementations(op).get(0);
        assertEquals(null, firstDifference(byImplementation.get(selected), Tensors.out(oneShot)),
                "one-shot call against a plan of " + selected + ": " + p);
    }
}
