package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link MachineLoad}: reading /proc/stat and /proc/self/stat lines, and the others' share of the machine. No device. */
class MachineLoadTest {
    @Test
    void busyTicksCountEverythingButIdleAndIowait() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        assertEquals(1 + 2 + 3 + 6 + 7 + 8, MachineLoad.busyTicks("cpu  1 2 3 400 500 6 7 8 0 0"));
        assertEquals(-1, MachineLoad.busyTicks("cpu0 1 2 3 4 5 6 7 8 0 0"), "a single CPU's line is not the total");
        assertEquals(-1, MachineLoad.busyTicks("cpu 1 2 3"));
        assertEquals(-1, MachineLoad.busyTicks(""));
        assertEquals(-1, MachineLoad.busyTicks("cpu 1 x 3 4 5 6 7 8"));
    }

    @Test
    void ownTicksAreUtimePlusStimeCountedAfterTheCommandName() {
        // A command name with a space and a parenthesis, which split naively would shift every field.
        String line = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 40 0 0 20 0 30 0 123 456 789";
        assertEquals(290, MachineLoad.ownTicks(line));
        assertEquals(-1, MachineLoad.ownTicks("4242 java S 1"));
        assertEquals(-1, MachineLoad.ownTicks("4242 (java) S 1 2 3"));
    }

    @Test
    void othersCoresAreTheMachinesBusyTimeLessOurs() {
        MachineLoad.Probe from = new MachineLoad.Probe(1000, 500, 0);
        // 2 s: the machine was busy 3.5 s (350 ticks), we used 1.5 s of it: others 1 core on average
        assertEquals(1.0, MachineLoad.othersCores(from, new MachineLoad.Probe(1350, 650, 2_000_000_000L)), 1e-9);
        // tick rounding can make ours exceed the machine's: never below zero
        assertEquals(0.0, MachineLoad.othersCores(from, new MachineLoad.Probe(1100, 610, 1_000_000_000L)), 1e-9);
        assertTrue(Double.isNaN(MachineLoad.othersCores(new MachineLoad.Probe(-1, 500, 0), new MachineLoad.Probe(1100, 600, 1))));
        assertTrue(Double.isNaN(MachineLoad.othersCores(from, new MachineLoad.Probe(1100, -1, 1))));
        assertTrue(Double.isNaN(MachineLoad.othersCores(from, new MachineLoad.Probe(1100, 600, 0))), "no time passed");
        // 2 ms hold less than one 10 ms tick: one tick more would read as 5 cores (a CI run read 24)
        assertTrue(Double.isNaN(MachineLoad.othersCores(from, new MachineLoad.Probe(1001, 500, 2_000_000L))),
                "an interval shorter than the ticks can tell");
        // coarse ticks never make more cores than the machine has
        int cpus = Runtime.getRuntime().availableProcessors();
        assertEquals(cpus, MachineLoad.othersCores(from, new MachineLoad.Probe(1000 + 100L * cpus + 50, 500, 1_000_000_000L)),
                1e-9);
    }

    @Test
    void onLinuxAProbeReadsTheMachine() throws InterruptedException {
        MachineLoad.Probe p = MachineLoad.start();
        Thread.sleep(Math.round(MachineLoad.MIN_SECONDS * 1000) + 50);
        if (System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            assertTrue(p.busyTicks() > 0 && p.ownTicks() >= 0, p.toString());
            double c = p.othersCores();
            assertTrue(c >= 0 && c <= Runtime.getRuntime().availableProcessors(), "others " + c);
        } else {
            assertTrue(Double.isNaN(p.othersCores()));
        }
    }
}
