package dev.convcl.cli;

import java.util.Arrays;
import java.util.List;

/** Repeats with no CPU share known, for tests. */
final class PeakRepeatsTestData {
    private PeakRepeatsTestData() {
    }

    static List<PeakRepeats.Sample> rates(double... r) {
        return Arrays.stream(r).mapToObj(PeakRepeats.Sample::of).toList();
    }
}
