package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link BenchPeer.Budget#timeInterleaved}, the rule {@code bench --model} times convcl and its
 * peers by, on a scripted clock: call i advances it by its own milliseconds times the machine's
 * slowness at that moment.
 */
class BenchInterleaveTest {

    /** A scripted machine: the calls made, in order, and the clock they advance. */
    private static final class Machine {
        final long[] now = {0};
        final List<Integer> log = new ArrayList<>();
        final DoubleUnaryOperator slowness; // of the elapsed ms

        Machine(DoubleUnaryOperator slowness) {
            this.slowness = slowness;
        }

        /** Calls taking {@code ms[i]} milliseconds each at slowness 1. */
        List<BenchPeer.Call> calls(double... ms) {
            List<BenchPeer.Call> calls = new ArrayList<>();
            for (int i = 0; i < ms.length; i++) {
                int index = i;
                calls.add(() -> {
                    log.add(index);
                    now[0] += (long) (ms[index] * slowness.applyAsDouble(now[0] / 1e6) * 1e6);
                });
            }
            return calls;
        }

        /** beforeTurn: marks the log (-1) where a turn starts. */
        void turn() {
            log.add(-1);
        }

        /** The turns: the index of each run of consecutive calls of one call, and the run's length. */
        List<int[]> turns() {
            List<int[]> turns = new ArrayList<>();
            boolean started = false;
            for (int c : log) {
                if (c < 0) {
                    started = true;
                    continue;
                }
                if (!started && !turns.isEmpty() && turns.get(turns.size() - 1)[0] == c) {
                    turns.get(turns.size() - 1)[1]++;
                } else {
                    turns.add(new int[] {c, 1});
                }
                started = false;
            }
            return turns;
        }
    }

    @Test
    void everyCallGetsATurnEachRoundTheFirstTurnMovingOn() throws Exception {
        Machine m = new Machine(t -> 1);
        BenchPeer.Timing[] t = new BenchPeer.Budget(1, 1, 4, 100).timeInterleaved(m.calls(1, 1, 1), () -> m.now[0], m::turn);
        int[] order = m.turns().stream().mapToInt(x -> x[0]).toArray();
        assertArrayEquals(new int[] {0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2}, order, "turn order " + m.turns());
        assertEquals(12, m.log.stream().filter(c -> c < 0).count(), "beforeTurn runs before every turn");
        for (int[] turn : m.turns()) {
            // REWARM_MS of untimed 1 ms calls, then the timed one.
            assertEquals((int) BenchPeer.Budget.REWARM_MS + 1, turn[1], "calls in a turn of call " + turn[0]);
        }
        for (BenchPeer.Timing x : t) {
            assertArrayEquals(new double[] {1, 1, 1, 1}, x.wallMs(), 1e-9);
        }
    }

    @Test
    void slowCallsAreNotRewarmedAfterTheirFirstTurn() throws Exception {
        Machine m = new Machine(t -> 1);
        BenchPeer.Timing[] t = new BenchPeer.Budget(1, 1, 3, 100).timeInterleaved(
                m.calls(BenchPeer.Budget.NO_REWARM_MS, 5), () -> m.now[0], m::turn);
        // Call 0: one untimed call in its first turn (nothing timed yet), then only the 3 timed
        // ones; call 1: REWARM_MS of untimed 5 ms calls before each of its 3 timed ones.
        assertEquals(1 + 3, m.log.stream().filter(c -> c == 0).count());
        assertEquals(3 * ((int) (BenchPeer.Budget.REWARM_MS / 5) + 1), m.log.stream().filter(c -> c == 1).count());
        assertEquals(3, t[0].wallMs().length);
        assertEquals(3, t[1].wallMs().length);
    }

    @Test
    void theTimeBudgetEndsRoundsOnceEachHasTheMinimum() throws Exception {
        Machine m = new Machine(t -> 1);
        BenchPeer.Timing[] t = new BenchPeer.Budget(1, 1, 10, 0.001).timeInterleaved(m.calls(3, 7), () -> m.now[0], m::turn);
        assertEquals(BenchPeer.Budget.MIN_TIMED, t[0].wallMs().length);
        assertEquals(BenchPeer.Budget.MIN_TIMED, t[1].wallMs().length);
        assertEquals(3, t[0].median(), 1e-9);
        assertEquals(7, t[1].median(), 1e-9);
    }

    @Test
    void eachCallsBudgetCountsItsOwnTimedCalls() throws Exception {
        // 50 ms of timed calls each: 50 of 1 ms, 5 of 10 ms; the turns' untimed calls and pauses do not count.
        Machine m = new Machine(t -> 1);
        BenchPeer.Timing[] t = new BenchPeer.Budget(1, 1, 100, 0.05).timeInterleaved(m.calls(1, 10), () -> m.now[0],
                m::turn);
        assertEquals(50, t[0].wallMs().length);
        assertEquals(5, t[1].wallMs().length);
    }

    @Test
    void theProcessCpuTimeCounterReadsWhereLinuxHasIt() {
        long ticks = BenchModel.processTicks();
        if (!java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/self/stat"))) {
            assertEquals(-1, ticks, "no /proc/self/stat: the fixed pause");
            return;
        }
        assertTrue(ticks >= 0, "utime + stime of this process: " + ticks);
        // Burn 300 ms of this thread's CPU time: the process's counter moves by whole ticks (10 ms).
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        double x = 0;
        while (threads.getCurrentThreadCpuTime() - cpu0 < 300_000_000L) {
            x += Math.sqrt(x + 1);
        }
        assertTrue(BenchModel.processTicks() - ticks >= 10, "300 ms of CPU time moved the counter by "
                + (BenchModel.processTicks() - ticks) + " ticks (" + x + ")");
    }

    @Test
    void aMachineThatSlowsDownWeighsOnEveryCallAlike() throws Exception {
        // Twice as slow after the first 300 ms: timed one after the other, the second call would get
        // only slow seconds and its ratio to the first would read 4 instead of 2.
        Machine m = new Machine(t -> t < 300 ? 1 : 2);
        BenchPeer.Timing[] t = new BenchPeer.Budget(1, 1, 10, 100).timeInterleaved(m.calls(1, 2), () -> m.now[0], m::turn);
        double first = t[0].median(), second = t[1].median();
        assertEquals(2, second / first, 0.35, "medians " + first + " and " + second);
    }
}
