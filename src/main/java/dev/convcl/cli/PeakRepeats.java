package dev.convcl.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * When a measured peak may be kept: the rule that stops a figure measured on a busy machine from
 * being cached (and then flattering every share of it for good).
 *
 * <p>A peak is measured {@value #MIN_REPEATS} times, and up to {@value #MAX_REPEATS} times while
 * the repeats disagree. It is <em>stable</em>, and may be cached, when the three highest repeats
 * lie within {@value #TOLERANCE} of the highest, and each of those three had the processor to
 * itself (where that can be known, its CPU share is at least {@value #MIN_CPU_SHARE}). The
 * stable figure is the highest repeat: interference only ever slows a measurement down. A figure
 * that is not stable is still the highest repeat (the best lower bound of the peak there is), but
 * it is shown with the reason and not cached.
 */
final class PeakRepeats {
    static final int MIN_REPEATS = 3;
    static final int MAX_REPEATS = 5;
    /** How far below the highest repeat the second and third highest may be: 5%. */
    static final double TOLERANCE = 0.05;
    /** Below this share of the cores it ran on, a repeat counts as taken on a busy machine. */
    static final double MIN_CPU_SHARE = 0.85;

    private PeakRepeats() {
    }

    /**
     * One timed run of a peak kernel or loop.
     *
     * @param rate     what it reached (GFLOP/s or GB/s)
     * @param cpuShare CPU time the process got during the run over (wall time x the cores the run
     *                 used): about 1 when nothing else ran, lower when other processes took the
     *                 cores; NaN where it cannot be known (a GPU)
     */
    record Sample(double rate, double cpuShare) {
        static Sample of(double rate) {
            return new Sample(rate, Double.NaN);
        }

        boolean busy() {
            return cpuShare < MIN_CPU_SHARE; // false for NaN
        }
    }

    /**
     * What the repeats say.
     *
     * @param value   the highest repeat
     * @param stable  whether it may be cached (see the class comment)
     * @param samples the repeats, in the order they were taken
     * @param reason  why it is not stable, or an empty string
     */
    record Verdict(double value, boolean stable, List<Sample> samples, String reason) {
        Verdict {
            samples = List.copyOf(samples);
        }

        /** {@code 3 repeats: 231.0 229.8 230.5, within 5%} or the same with the reason. */
        String describe(String unit) {
            String figures = samples.stream().map(s -> fmt(s.rate())).collect(Collectors.joining(" "));
            return samples.size() + " repeats " + figures + " " + unit + (stable ? ", within " + percent(TOLERANCE) : ": " + reason);
        }
    }

    /** Applies the rule to repeats already taken. */
    static Verdict judge(List<Sample> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no repeats to judge");
        }
        double max = samples.stream().mapToDouble(Sample::rate).max().orElseThrow();
        List<Sample> top = new ArrayList<>(samples);
        top.sort(Comparator.comparingDouble(Sample::rate).reversed());
        top = top.subList(0, Math.min(3, top.size()));
        if (top.size() < 3) {
            return new Verdict(max, false, samples, "fewer than 3 repeats");
        }
        for (Sample s : top) {
            if (s.busy()) {
                return new Verdict(max, false, samples, String.format(Locale.ROOT,
                        "the machine was busy (a repeat of %s got %s of the cores it ran on, below %s)",
                        fmt(s.rate()), percentBelow(s.cpuShare()), percent(MIN_CPU_SHARE)));
            }
        }
        double third = top.get(2).rate();
        if (!(max > 0) || third < max * (1 - TOLERANCE)) {
            return new Verdict(max, false, samples, String.format(Locale.ROOT,
                    "the three highest differ by %s, more than %s: the machine was probably busy",
                    max > 0 ? percent(1 - third / max) : "-", percent(TOLERANCE)));
        }
        return new Verdict(max, true, samples, "");
    }

    /**
     * Takes {@value #MIN_REPEATS} repeats from {@code once}, then more, up to
     * {@value #MAX_REPEATS}, while they are not stable.
     */
    static Verdict repeat(Supplier<Sample> once) {
        return repeat(List.of(), once);
    }

    /**
     * The same, counting {@code prior} runs of the same measurement as repeats already taken
     * (e.g. those that chose it among others): a figure seen once is no less real for having been
     * seen while choosing, and the verdict must account for it.
     */
    static Verdict repeat(List<Sample> prior, Supplier<Sample> once) {
        List<Sample> samples = new ArrayList<>(prior);
        while (samples.size() < MIN_REPEATS) {
            samples.add(once.get());
        }
        Verdict v = judge(samples);
        int most = Math.max(MAX_REPEATS, prior.size() + 2);
        while (!v.stable() && samples.size() < most) {
            samples.add(once.get());
            v = judge(samples);
        }
        return v;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** Rounded down, so that a share just below a bound never reads as the bound. */
    private static String percentBelow(double share) {
        return String.format(Locale.ROOT, "%.0f%%", Math.floor(100 * share));
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * share);
    }
}
