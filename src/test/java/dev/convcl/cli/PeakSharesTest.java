package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** No share of the peak above 100% is ever shown, on injected rows and peaks (no timing). */
class PeakSharesTest {

    /** A timed, ok row; kernel GFLOP/s NaN on the CPU path. */
    static BenchRow row(String name, String backend, double gflops, double kernelGflops) {
        return new BenchRow(name, "op=conv2d", "conv2d", backend, "dev", "direct", true, "reference", 1e-7, 1, 1, 1, 1,
                1, 3, gflops, kernelGflops, Double.NaN, Double.NaN, Double.NaN, null);
    }

    static Peak.Result peak(double gflops) {
        return new Peak.Result("dev", gflops, 10, "float8 x 12");
    }

    /** Records which backends were measured again, and answers with the given peaks. */
    private static final class Remeasure implements Function<String, Peak.Result> {
        final List<String> asked = new ArrayList<>();
        final Peak.Result device;
        final Peak.Result cpu;

        Remeasure(Peak.Result device, Peak.Result cpu) {
            this.device = device;
            this.cpu = cpu;
        }

        @Override
        public Peak.Result apply(String backend) {
            asked.add(backend);
            return PeakShares.CPU.equals(backend) ? cpu : device;
        }
    }

    /** Every share the table prints, in percent. */
    private static List<Double> printedShares(List<BenchRow> rows) {
        StringWriter text = new StringWriter();
        BenchReport.table(rows, new PrintWriter(text, true));
        List<Double> shares = new ArrayList<>();
        Matcher m = Pattern.compile(" ([0-9.]+)% ").matcher(text.toString());
        while (m.find()) {
            shares.add(Double.parseDouble(m.group(1)));
        }
        return shares;
    }

    @Test
    void resultsBelowThePeakAreSharesOfItAndNothingIsMeasuredAgain() {
        Remeasure again = new Remeasure(peak(1000), peak(1000));
        PeakShares.Outcome o = PeakShares.settle(List.of(row("a", "opencl", 40, 50), row("a", "cpu", 20, Double.NaN)),
                peak(100), peak(80), again);
        assertEquals(List.of(), again.asked);
        assertEquals(0.5, o.rows().get(0).peakShare(), 1e-12, "the kernel rate over the device's peak");
        assertEquals(0.25, o.rows().get(1).peakShare(), 1e-12, "the wall rate over the CPU path's peak");
        assertEquals(List.of(), o.notes());
    }

    @Test
    void aResultAboveThePeakHasThePeakMeasuredAgainOnce() {
        Remeasure again = new Remeasure(peak(200), null);
        PeakShares.Outcome o = PeakShares.settle(List.of(row("a", "opencl", 100, 131), row("b", "opencl", 100, 163),
                row("c", "opencl", 10, 20)), peak(100), null, again);
        assertEquals(List.of("opencl"), again.asked, "one new measurement for the device, none for the CPU path");
        assertEquals(200, o.devicePeak().gflops());
        assertEquals(List.of(0.655, 0.815, 0.1), o.rows().stream().map(BenchRow::peakShare).toList());
        assertEquals(1, o.notes().size(), o.notes().toString());
        assertTrue(o.notes().get(0).contains("b on opencl ran at 163.0 GFLOP/s, above the device's peak of 100.0 GFLOP/s; "
                + "the peak was measured again: 200.0 GFLOP/s"), o.notes().toString());
        assertTrue(printedShares(o.rows()).stream().allMatch(s -> s <= 100), printedShares(o.rows()).toString());
    }

    @Test
    void aResultStillAboveTheFreshPeakShowsItsRateAndNoShare() {
        Remeasure again = new Remeasure(null, peak(150));
        PeakShares.Outcome o = PeakShares.settle(List.of(row("a", "cpu", 215, Double.NaN), row("b", "cpu", 120, Double.NaN)),
                null, peak(100), again);
        assertEquals(List.of("cpu"), again.asked);
        assertEquals(150, o.cpuPeak().gflops());
        BenchRow a = o.rows().get(0);
        assertTrue(Double.isNaN(a.peakShare()), "no share above 100%: " + a);
        assertEquals(215, a.gflops(), "the measured figure stays");
        assertEquals(0.8, o.rows().get(1).peakShare(), 1e-12);
        assertEquals(2, o.notes().size(), o.notes().toString());
        assertTrue(o.notes().get(1).contains("a on cpu ran at 215.0 GFLOP/s, above the CPU path's peak measured again "
                + "just now (150.0 GFLOP/s)"), o.notes().toString());
        assertEquals(List.of(80.0), printedShares(o.rows()));
    }

    @Test
    void aFreshPeakBelowTheOldOneKeepsTheOld() {
        Remeasure again = new Remeasure(peak(90), null);
        PeakShares.Outcome o = PeakShares.settle(List.of(row("a", "opencl", 100, 120)), peak(100), null, again);
        assertEquals(100, o.devicePeak().gflops(), "both are lower bounds of the true peak");
        assertTrue(Double.isNaN(o.rows().get(0).peakShare()));
    }

    @Test
    void aPeakThatCannotBeMeasuredAgainStillShowsNoShareAbove100() {
        PeakShares.Outcome o = PeakShares.settle(List.of(row("a", "opencl", 100, 120)), peak(100), null, b -> null);
        assertTrue(Double.isNaN(o.rows().get(0).peakShare()));
        assertTrue(o.notes().get(0).contains("could not be measured again"), o.notes().toString());
    }

    @Test
    void withoutAPeakThereAreNoSharesAndNothingIsMeasured() {
        Remeasure again = new Remeasure(peak(1), peak(1));
        PeakShares.Outcome o = PeakShares.settle(List.of(row("a", "opencl", 100, 120), row("a", "cpu", 5, Double.NaN)),
                null, null, again);
        assertEquals(List.of(), again.asked);
        assertNull(o.devicePeak());
        assertTrue(o.rows().stream().allMatch(r -> Double.isNaN(r.peakShare())));
    }
}
