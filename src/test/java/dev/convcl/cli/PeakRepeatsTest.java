package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The rule that decides whether a measured peak may be cached, on injected repeats (no timing). */
class PeakRepeatsTest {

    private static List<PeakRepeats.Sample> rates(double... r) {
        return PeakRepeatsTestData.rates(r);
    }

    /** Hands out the given repeats in order and counts how many were asked for. */
    private static final class Script implements Supplier<PeakRepeats.Sample> {
        final Deque<PeakRepeats.Sample> left;
        int taken;

        Script(PeakRepeats.Sample... samples) {
            left = new ArrayDeque<>(List.of(samples));
        }

        Script(double... r) {
            this(rates(r).toArray(PeakRepeats.Sample[]::new));
        }

        @Override
        public PeakRepeats.Sample get() {
            taken++;
            return left.removeFirst();
        }
    }

    /**
     * Repeats {@code s}'s samples and asserts the verdict: whether it is stable, its figure, and
     * how many samples were taken.
     */
    private static PeakRepeats.Verdict repeated(Script s, boolean stable, double value, int taken) {
        PeakRepeats.Verdict v = PeakRepeats.repeat(s);
        assertEquals(stable, v.stable(), v.toString());
        assertEquals(value, v.value(), v.toString());
        assertEquals(taken, s.taken, "repeats taken: " + v);
        return v;
    }

    @Test
    void threeRepeatsThatAgreeAreStableAndTheHighestIsKept() {
        // no more repeats than needed
        PeakRepeats.Verdict v = repeated(new Script(200, 196, 198, 1, 1), true, 200, 3);
        assertTrue(v.describe("GFLOP/s").contains("3 repeats 200.0 196.0 198.0 GFLOP/s, within 5%"), v.describe("GFLOP/s"));
    }

    @Test
    void aLowRepeatIsOutvotedByMoreRepeats() {
        // A hiccup (another process took a core for a moment) slows one repeat down: two more are
        // taken and the three highest agree.
        repeated(new Script(200, 120, 198, 199, 1), true, 200, 4);
    }

    @Test
    void repeatsThatKeepDisagreeingAreNotStableButTheHighestIsShown() {
        // The highest repeat is the best lower bound there is; it gives up after the most repeats.
        PeakRepeats.Verdict v = repeated(new Script(100, 150, 120, 180, 90), false, 180, PeakRepeats.MAX_REPEATS);
        assertTrue(v.reason().contains("the three highest differ by 33%, more than 5%"), v.reason());
    }

    @Test
    void aLoneHighRepeatIsNotCachedEvenIfTheOthersAgree() {
        // The lower ones may all be slowed by the same long-running process: the highest is the
        // figure, and nothing confirms it.
        PeakRepeats.Verdict v = PeakRepeats.judge(rates(300, 200, 201, 199, 200));
        assertFalse(v.stable(), v.toString());
        assertEquals(300, v.value());
    }

    @Test
    void runsTakenWhileChoosingTheShapeCountAsRepeats() {
        Script none = new Script(1, 1, 1);
        PeakRepeats.Verdict agreed = PeakRepeats.repeat(rates(200, 199, 198), none);
        assertTrue(agreed.stable(), agreed.toString());
        assertEquals(0, none.taken, "three prior runs that agree need no more");

        // A high figure seen while choosing is a figure: the peak is not reported below it, and
        // the repeats that do not reach it leave the peak uncached.
        Script more = new Script(200, 201, 199, 200);
        PeakRepeats.Verdict v = PeakRepeats.repeat(rates(300, 200), more);
        assertFalse(v.stable(), v.toString());
        assertEquals(300, v.value());
        assertEquals(3, more.taken, PeakRepeats.MAX_REPEATS + " in all");
    }

    @Test
    void theToleranceIsFivePercentOfTheHighest() {
        assertTrue(PeakRepeats.judge(rates(100, 95.01, 97)).stable());
        assertFalse(PeakRepeats.judge(rates(100, 94.99, 97)).stable());
    }

    @Test
    void repeatsThatAgreeOnABusyMachineAreNotStable() {
        // A process that runs the whole time slows every repeat alike: they agree, but the CPU
        // share shows the cores were shared.
        Script s = new Script(new PeakRepeats.Sample(100, 0.5), new PeakRepeats.Sample(101, 0.5),
                new PeakRepeats.Sample(99, 0.49), new PeakRepeats.Sample(100, 0.5), new PeakRepeats.Sample(100, 0.51));
        PeakRepeats.Verdict v = PeakRepeats.repeat(s);
        assertFalse(v.stable(), v.toString());
        assertEquals(101, v.value());
        assertTrue(v.reason().contains("busy") && v.reason().contains("50% of the cores"), v.reason());
    }

    @Test
    void aShareJustBelowTheBoundIsNotShownAsTheBound() {
        PeakRepeats.Verdict v = PeakRepeats.judge(List.of(new PeakRepeats.Sample(100, 0.849), PeakRepeats.Sample.of(100),
                PeakRepeats.Sample.of(100)));
        assertFalse(v.stable());
        assertTrue(v.reason().contains("got 84% of the cores it ran on, below 85%"), v.reason());
    }

    @Test
    void aBusyRepeatBelowTheTopThreeDoesNotMatter() {
        PeakRepeats.Verdict v = PeakRepeats.judge(List.of(new PeakRepeats.Sample(200, 1.0), new PeakRepeats.Sample(60, 0.3),
                new PeakRepeats.Sample(199, 0.97), new PeakRepeats.Sample(198, Double.NaN)));
        assertTrue(v.stable(), v + ": an unknown share (a GPU) is no evidence of a busy machine");
        assertEquals(200, v.value());
    }

    @Test
    void fewerThanThreeRepeatsAreNeverStable() {
        assertFalse(PeakRepeats.judge(rates(100, 100)).stable());
        assertThrows(IllegalArgumentException.class, () -> PeakRepeats.judge(List.of()));
    }
}
