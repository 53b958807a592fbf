package dev.convcl.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Each convcl benchmark result as a share of its backend's measured FMA peak (a peer's row, another
 * library's, has none), with the rule that no share
 * above 100% is ever shown: a result faster than the peak means the peak was measured low (on a
 * busy machine, or by a loop not shaped for the hardware), so the peak is measured again, once
 * per backend and run. A result still above the fresh peak keeps its GFLOP/s, loses its share,
 * and gets a note that says so.
 */
final class PeakShares {
    /** The backend name of the CPU path's rows; every other backend is rated against the device's peak. */
    static final String CPU = "cpu";

    private PeakShares() {
    }

    /**
     * The rows with their shares, the peaks they are shares of, and what was done about results
     * above a peak (one line each, for the report).
     */
    record Outcome(List<BenchRow> rows, Peak.Result devicePeak, Peak.Result cpuPeak, List<String> notes) {
        Outcome {
            rows = List.copyOf(rows);
            notes = List.copyOf(notes);
        }
    }

    /**
     * Sets every row's share of its peak: the CPU path's rows against {@code cpuPeak}, the others
     * against {@code devicePeak} (a null peak gives NaN shares).
     *
     * @param remeasure measures a backend's peak afresh ({@link #CPU} or the device's backend name)
     *                  and returns it, or null if it cannot; called at most once per backend, and
     *                  only when a result is above that backend's peak
     */
    static Outcome settle(List<BenchRow> rows, Peak.Result devicePeak, Peak.Result cpuPeak,
                          Function<String, Peak.Result> remeasure) {
        List<String> notes = new ArrayList<>();
        Peak.Result device = settlePeak(rows, false, devicePeak, remeasure, notes);
        Peak.Result cpu = settlePeak(rows, true, cpuPeak, remeasure, notes);
        List<BenchRow> out = new ArrayList<>();
        for (BenchRow r : rows) {
            if (r.peer()) {
                // Another library's row: rated against the machine's FMA limit only, never a convcl peak.
                out.add(r);
                continue;
            }
            Peak.Result peak = isCpu(r) ? cpu : device;
            double rate = r.peakRate();
            double share = peak == null || Double.isNaN(rate) ? Double.NaN : rate / peak.gflops();
            if (share > 1) {
                notes.add(String.format(Locale.ROOT, "%s on %s ran at %.1f GFLOP/s, above the %s peak measured again "
                        + "just now (%.1f GFLOP/s): its share of the peak is not shown", r.name(), r.backend(), rate,
                        isCpu(r) ? "CPU path's" : "device's", peak.gflops()));
                share = Double.NaN;
            }
            out.add(r.withPeakShare(share));
        }
        return new Outcome(out, device, cpu, notes);
    }

    private static boolean isCpu(BenchRow r) {
        return CPU.equals(r.backend());
    }

    /** The peak of one side (CPU path or device), measured again if one of its results is above it. */
    private static Peak.Result settlePeak(List<BenchRow> rows, boolean cpuSide, Peak.Result peak,
                                          Function<String, Peak.Result> remeasure, List<String> notes) {
        if (peak == null) {
            return null;
        }
        BenchRow fastest = null;
        for (BenchRow r : rows) {
            if (!r.peer() && isCpu(r) == cpuSide && r.peakRate() > peak.gflops()
                    && (fastest == null || r.peakRate() > fastest.peakRate())) {
                fastest = r;
            }
        }
        if (fastest == null) {
            return peak;
        }
        Peak.Result fresh = remeasure.apply(fastest.backend());
        String side = cpuSide ? "CPU path's" : "device's";
        if (fresh == null) {
            notes.add(String.format(Locale.ROOT, "%s on %s ran at %.1f GFLOP/s, above the %s peak (%.1f GFLOP/s), "
                    + "which could not be measured again", fastest.name(), fastest.backend(), fastest.peakRate(), side,
                    peak.gflops()));
            return peak;
        }
        notes.add(String.format(Locale.ROOT, "%s on %s ran at %.1f GFLOP/s, above the %s peak of %.1f GFLOP/s; the "
                + "peak was measured again: %.1f GFLOP/s (%s)", fastest.name(), fastest.backend(), fastest.peakRate(),
                side, peak.gflops(), fresh.gflops(), fresh.fmaConfig()));
        // Both are lower bounds of the true peak (interference only slows a measurement): keep the higher.
        return fresh.gflops() >= peak.gflops() ? fresh : peak;
    }
}
