package dev.convcl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How much of the machine other processes used while this one was timing: the busy CPU time of
 * the whole machine (Linux {@code /proc/stat}) less this process's own ({@code /proc/self/stat}),
 * over the wall time, in cores. On a shared machine this is what makes timings of different lengths
 * incomparable: a short call that wakes from a wait gets a core at once, a call of tens of
 * milliseconds gets its fair share of the busy cores, so a larger batch looks slower per image
 * although it does the same work per image (docs/PERFORMANCE.md, "bench --batch").
 *
 * <p>NaN where those files cannot be read (not Linux).
 */
final class MachineLoad {
    /** {@code /proc/stat} counts in USER_HZ ticks, 100 a second on every Linux architecture Java runs on. */
    static final double TICKS_PER_SECOND = 100;

    private static final Path PROC_STAT = Path.of("/proc/stat");
    private static final Path SELF_STAT = Path.of("/proc/self/stat");

    private MachineLoad() {
    }

    /**
     * A start point: the machine's busy ticks, this process's CPU ticks and the wall clock.
     *
     * @param busyTicks the machine's busy ticks, -1 if unknown
     * @param ownTicks  this process's CPU ticks (user and system), -1 if unknown
     * @param wallNanos {@link System#nanoTime()}
     */
    record Probe(long busyTicks, long ownTicks, long wallNanos) {
        /** Other processes' average use of the machine since this probe, in cores; NaN if unknown. */
        double othersCores() {
            Probe now = start();
            return MachineLoad.othersCores(this, now);
        }
    }

    /** A probe taken now. */
    static Probe start() {
        return new Probe(busyTicks(read(PROC_STAT)), ownTicks(read(SELF_STAT)), System.nanoTime());
    }

    /**
     * The shortest interval measured: ticks are 10 ms, so over a shorter one a single tick more or
     * less reads as whole cores (one tick in 2 ms: 5 cores).
     */
    static final double MIN_SECONDS = 0.2;

    /**
     * Other processes' average use of the machine between two probes, in cores (never below 0, nor
     * above the machine's processors); NaN when either probe lacks a figure or less than
     * {@link #MIN_SECONDS} passed.
     */
    static double othersCores(Probe from, Probe to) {
        if (from.busyTicks() < 0 || to.busyTicks() < 0 || from.ownTicks() < 0 || to.ownTicks() < 0) {
            return Double.NaN;
        }
        double wall = (to.wallNanos() - from.wallNanos()) / 1e9;
        if (!(wall >= MIN_SECONDS)) {
            return Double.NaN;
        }
        double machine = (to.busyTicks() - from.busyTicks()) / TICKS_PER_SECOND;
        double own = (to.ownTicks() - from.ownTicks()) / TICKS_PER_SECOND;
        // Ticks are coarse (10 ms): an interval can come out slightly negative, or past the machine.
        return Math.min(Runtime.getRuntime().availableProcessors(), Math.max(0, (machine - own) / wall));
    }

    /**
     * The busy ticks of the {@code cpu} line of {@code /proc/stat} (user, nice, system, irq,
     * softirq, steal; not idle nor iowait), or -1 when {@code line} is not such a line.
     */
    static long busyTicks(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 9 || !f[0].equals("cpu")) {
            return -1;
        }
        try {
            long busy = 0;
            for (int i = 1; i <= 8; i++) {
                if (i != 4 && i != 5) { // idle, iowait
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * This process's CPU ticks (utime + stime, fields 14 and 15) from its {@code /proc/self/stat}
     * line, or -1 when {@code line} is not such a line. The command name (field 2) may hold spaces
     * and parentheses: fields are counted after its last ')'.
     */
    static long ownTicks(String line) {
        int close = line.lastIndexOf(')');
        if (close < 0) {
            return -1;
        }
        String[] f = line.substring(close + 1).trim().split("\\s+");
        if (f.length < 13) {
            return -1;
        }
        try {
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The first line of {@code file}, or "" when it cannot be read. */
    private static String read(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.isEmpty() ? "" : lines.get(0);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
