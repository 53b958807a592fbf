package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The per-layer table's note on problems timed while other processes used the cores. */
class BenchBusyNoteTest {

    @Test
    void namesOnlyTheProblemsAboveTheThresholdWithTheirCores() {
        Map<String, Double> cores = new LinkedHashMap<>();
        cores.put("quiet", 0.01);
        cores.put("edge", BenchBatches.BUSY_CORES);
        cores.put("busy", 1.234);
        cores.put("unknown", Double.NaN);
        cores.put("also", 0.5);
        Optional<String> note = BenchCommand.busyNote(cores);
        assertTrue(note.isPresent());
        assertTrue(note.get().startsWith("busy: other processes used more than 0.25 cores on average while 2 problems ran "
                + "(cores: busy 1.23, also 0.50); "), note.get());
    }

    @Test
    void aQuietOrUnmeasuredMachineGetsNoNote() {
        assertEquals(Optional.empty(), BenchCommand.busyNote(Map.of("a", 0.0, "b", Double.NaN)));
        assertEquals(Optional.empty(), BenchCommand.busyNote(Map.of()));
    }
}
