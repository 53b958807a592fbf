package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The warm-up rule every layer row uses, convcl's and the peers' ({@link BenchPeer.Budget#warmUp}),
 * on a scripted clock: each call advances it by the milliseconds the script gives for that call.
 */
class BenchWarmUpTest {

    /** Warm-up calls made (the checking call not counted) when call i (1-based) takes {@code ms.applyAsDouble(i)}. */
    private static int calls(BenchPeer.Budget budget, IntToDoubleFunction ms) throws Exception {
        return calls(budget, BenchPeer.Budget.SETTLE_CAP_SECONDS, ms);
    }

    /** {@link #calls(BenchPeer.Budget, IntToDoubleFunction)} with the settle cap {@code bench --model} passes. */
    private static int calls(BenchPeer.Budget budget, double settleCapSeconds, IntToDoubleFunction ms)
            throws Exception {
        long[] now = {0};
        int[] made = {0};
        budget.warmUp(() -> now[0] += (long) (ms.applyAsDouble(++made[0]) * 1e6), () -> now[0], settleCapSeconds);
        return made[0];
    }

    @Test
    void goesOnUntilCallsStopGettingFaster() throws Exception {
        // A JIT-like curve: 2% faster a call for 150 calls, then flat. The old rule (0.5 s, at most
        // 50 calls) stopped at call 50, at 0.36 of the first call's time but 7.5 times the final one.
        int n = calls(new BenchPeer.Budget(1, 0.001, 10, 1), i -> Math.pow(0.98, Math.min(i, 150)));
        assertTrue(n > 150 && n <= 150 + 3 * BenchPeer.Budget.WINDOW, "stopped after " + n + " warm-up calls");
    }

    @Test
    void flatCallsSettleAfterTwoWindows() throws Exception {
        assertEquals(2 * BenchPeer.Budget.WINDOW, calls(new BenchPeer.Budget(1, 0.001, 10, 1), i -> 0.5));
    }

    @Test
    void warmupCallsAndSecondsAreMinimums() throws Exception {
        // At least --warmup calls (the checking one included), at least --warmup-seconds.
        int m = calls(new BenchPeer.Budget(100, 0.001, 10, 1), i -> 0.5);
        assertTrue(m >= 99 && m <= 99 + BenchPeer.Budget.WINDOW, "stopped after " + m + " calls, 100 asked");
        int n = calls(new BenchPeer.Budget(1, 0.1, 10, 1), i -> 1.0);
        assertTrue(n >= 100 && n <= 100 + BenchPeer.Budget.WINDOW, "stopped after " + n + " calls of 1 ms, 0.1 s asked");
    }

    @Test
    void slowCallsStopPastTheCapOnceTwoAgree() throws Exception {
        // Two seconds a call: past SETTLE_CAP_SECONDS the second call agreeing with the first ends it.
        assertEquals(2, calls(new BenchPeer.Budget(1, 0.5, 10, 1), i -> 2000));
    }

    @Test
    void aNetworksLongerCapWaitsLonger() throws Exception {
        // 2 s calls: past 3 s after the second (4 s), past 5 s only after the third (6 s).
        assertEquals(2, calls(new BenchPeer.Budget(1, 0.5, 10, 1), 3, i -> 2000));
        assertEquals(3, calls(new BenchPeer.Budget(1, 0.5, 10, 1), BenchModel.MAX_WARMUP_SECONDS, i -> 2000));
    }

    @Test
    void callsThatKeepGettingFasterStopAtTheMost() throws Exception {
        assertEquals(BenchPeer.Budget.MAX_WARMUP, calls(new BenchPeer.Budget(1, 0.001, 10, 1), i -> Math.pow(0.99, i)));
    }

    @Test
    void zeroSecondsMakesOnlyTheWarmupCalls() throws Exception {
        assertEquals(3, calls(new BenchPeer.Budget(4, 0, 10, 1), i -> 5));
        assertEquals(0, calls(new BenchPeer.Budget(1, 0, 10, 1), i -> 5));
    }
}
