package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Convolution;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.Plan;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.PrivateCacheDir;
import dev.convcl.testing.Problems;
import dev.convcl.testing.WarnCapture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Plans read the device's tuning table for every tuned family (gemm, depthwise, deform-gemm):
 * an entry is what the next plan runs, a corrupt or foreign one is ignored with a WARN, and
 * automatic tuning runs on first use only when asked, within its budget.
 */
@ExtendWith(PrivateCacheDir.class)
class TunedPlansOpenClTest {
    static final Convolution DENSE = Problems.parse("op=conv2d n=1 c=8 h=12 w=13 k=16 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
    /** Output rows of 140, wider than the map kernel's 8 vectors of 16: the staged kernel's class on every device. */
    static final Convolution DW = Problems.parse("op=conv2d n=1 c=6 h=20 w=140 k=6 kh=5 kw=5 stride=1 pad=2 dil=1 groups=6");
    static final Convolution DCN = Problems.parse("op=deform2d n=1 c=8 h=9 w=10 k=12 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 og=1 mask=1");

    private OpenClDeviceInfo device;

    @BeforeEach
    void requireDevice() {
        device = OpenClTestDevice.require();
    }

    @AfterEach
    void restore() {
        System.clearProperty(AutoTune.PROPERTY);
        System.clearProperty(AutoTune.SECONDS_PROPERTY);
    }

    private static String algorithm(Engine engine, Convolution op) {
        try (Plan p = engine.plan(op)) {
            return p.algorithm();
        }
    }

    private static String forced(Engine engine, Convolution op, String config) {
        try (Plan p = engine.plan(op, KernelFamily.of(op).key(), config)) {
            return p.algorithm();
        }
    }

    @Test
    void aTunedEntryIsWhatTheNextPlanRunsInEveryFamily() throws IOException {
        try (Engine engine = OpenClTestDevice.engine()) {
            TuningTable table = TuningTable.empty(device);
            for (Convolution op : List.of(DENSE, DW, DCN)) {
                KernelFamily f = KernelFamily.of(op);
                String byDefault = forced(engine, op, f.defaultConfig(op, device).orElseThrow());
                // a candidate whose plan differs from the default's
                String other = f.candidates(op, device).stream().filter(c -> !forced(engine, op, c).equals(byDefault))
                        .findFirst().orElseThrow();
                table = table.with(f, f.classKey(op), new TuningTable.Entry(other, 1, op.toString()));
            }
            table.save(TuningTable.defaultDir());
            for (Convolution op : List.of(DENSE, DW, DCN)) {
                KernelFamily f = KernelFamily.of(op);
                String tuned = table.get(f, f.classKey(op)).orElseThrow().config();
                String expected = forced(engine, op, tuned);
                assertEquals(expected, algorithm(engine, op), op.toString());
                assertNotEquals(forced(engine, op, f.defaultConfig(op, device).orElseThrow()), expected, op.toString());
                if (f != KernelFamily.GEMM) {
                    assertTrue(expected.contains(tuned), expected + " shows the tile " + tuned);
                }
            }
        }
    }

    @Test
    void aCorruptOrForeignEntryIsIgnoredWithAWarning() throws IOException {
        Path file = TuningTable.fileFor(TuningTable.defaultDir(), device);
        Files.createDirectories(file.getParent());
        String header = "format=" + TuningTable.FORMAT + "\ndevice=" + device.name() + "\nplatform=" + device.platformName() + "\ndriver="
                + device.driverVersion() + "\n";
        String dwDefault = DeviceProfile.of(device).depthwise(DW).orElseThrow().toString();
        try (Engine engine = OpenClTestDevice.engine()) {
            String expected = forced(engine, DW, dwDefault);
            for (String body : List.of("depthwise.medium=vw=8 nv=zz th=2 wg=1x1\n",
                    // a tile made for a device with larger work-groups than this one allows
                    "depthwise.medium=vw=1 nv=1 th=1 wg=" + (device.maxWorkGroup() + 1) + "x1\n")) {
                Files.writeString(file, header + body, StandardCharsets.UTF_8);
                try (WarnCapture w = WarnCapture.on(TuningTable.class)) {
                    assertEquals(expected, algorithm(engine, DW), body);
                    assertTrue(w.count("depthwise.medium") >= 1, body + ": " + w.warnings());
                }
            }
            // A whole file of another device, where this device's would be.
            OpenClDeviceInfo other = new OpenClDeviceInfo(0, "Other", "other-gpu", "Other", "GPU", "9", "OpenCL 3.0",
                    "OpenCL C 1.2", 8, 1000, 1L << 32, 1 << 15, 1L << 30, 256, false, false, 1, 1, null, null);
            TuningTable.empty(other).with(KernelFamily.DEPTHWISE, "medium",
                    new TuningTable.Entry("vw=1 nv=1 th=1 wg=1x1", 1, "")).save(PrivateCacheDir.root());
            Files.copy(TuningTable.fileFor(PrivateCacheDir.root(), other), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            try (WarnCapture w = WarnCapture.on(TuningTable.class)) {
                assertEquals(expected, algorithm(engine, DW));
                assertTrue(w.count("another device") >= 1, w.warnings().toString());
            }
        }
    }

    @Test
    void withoutAutomaticTuningAPlanWritesNoTuningFile() {
        try (Engine engine = OpenClTestDevice.engine()) {
            algorithm(engine, DW);
            algorithm(engine, DCN);
        }
        assertFalse(Files.exists(TuningTable.fileFor(TuningTable.defaultDir(), device)));
    }

    /**
     * A class saved as {@code defaults} counts as tuned in a later process (here a new engine):
     * automatic tuning leaves it, and the plan runs the device's default tile.
     */
    @Test
    void aClassSavedAsDefaultsIsNotTunedAgain() throws IOException {
        System.setProperty(AutoTune.PROPERTY, "on");
        System.setProperty(AutoTune.SECONDS_PROPERTY, "1e-9");
        Path file = TuningTable.fileFor(TuningTable.defaultDir(), device);
        Files.createDirectories(file.getParent());
        String cls = KernelFamily.DEFORM.classKey(DCN);
        Files.writeString(file, "format=" + TuningTable.FORMAT + "\ndevice=" + device.name() + "\nplatform="
                + device.platformName() + "\ndriver=" + device.driverVersion() + "\ndeform-gemm." + cls + "=defaults\n",
                StandardCharsets.UTF_8);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        try (Engine engine = OpenClTestDevice.engine()) {
            String algorithm = algorithm(engine, DCN);
            assertTrue(algorithm.contains(DeviceProfile.of(device).deform(DCN).orElseThrow().toString()), algorithm);
        }
        assertEquals(1_000_000_000_000L, Files.getLastModifiedTime(file).toMillis(), "tuned again: " + Files.readString(file));
    }

    /**
     * With automatic tuning on and a budget too small for a second candidate, the first plan of
     * a class tunes it once (the device's defaults, the first candidate, are the only one tried),
     * writes the entry ({@code defaults}), and runs the default tile; the class is not tuned again.
     */
    @Test
    void automaticTuningOnFirstUseWritesTheEntryThePlanThenUses() throws IOException {
        System.setProperty(AutoTune.PROPERTY, "on");
        System.setProperty(AutoTune.SECONDS_PROPERTY, "1e-9");
        Path file = TuningTable.fileFor(TuningTable.defaultDir(), device);
        try (Engine engine = OpenClTestDevice.engine()) {
            String first = algorithm(engine, DCN);
            TuningTable t = TuningTable.load(device);
            String cls = KernelFamily.DEFORM.classKey(DCN);
            String entry = t.get(KernelFamily.DEFORM, cls).orElseThrow(() -> new AssertionError("no entry")).config();
            // the defaults, the first candidate, are the only one tried: saved as such
            assertEquals(TuningTable.DEFAULTS, entry);
            assertTrue(first.contains(DeviceProfile.of(device).deform(DCN).orElseThrow().toString()), first);
            assertTrue(Files.readString(file).contains("deform-gemm." + cls + ".basis=" + DCN), Files.readString(file));
            long written = Files.getLastModifiedTime(file).toMillis();
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(written - 60_000));
            assertEquals(first, algorithm(engine, DCN));
            assertEquals(written - 60_000, Files.getLastModifiedTime(file).toMillis(), "tuned again");
        }
    }
    /**
     * A first use whose budget left candidates out writes them with the entry; the next engine (a
     * later process) takes the class up again and, with time for all, completes it; after that a
     * new engine leaves it alone.
     */
    @Test
    void aClassLeftIncompleteIsTakenUpAgainByTheNextEngine() throws IOException {
        System.setProperty(AutoTune.PROPERTY, "on");
        System.setProperty(AutoTune.SECONDS_PROPERTY, "1e-9");
        String cls = KernelFamily.GEMM.classKey(DENSE);
        Path file = TuningTable.fileFor(TuningTable.defaultDir(), device);
        try (Engine engine = OpenClTestDevice.engine()) {
            algorithm(engine, DENSE);
        }
        TuningTable.Entry first = TuningTable.load(device).get(KernelFamily.GEMM, cls).orElseThrow(() -> new AssertionError("no entry"));
        assertFalse(first.untried().isEmpty(), "a budget of 1 ns leaves every candidate but the first out");
        assertTrue(Files.readString(file).contains("gemm." + cls + ".untried="), Files.readString(file));

        System.setProperty(AutoTune.SECONDS_PROPERTY, "600");
        try (Engine engine = OpenClTestDevice.engine()) {
            algorithm(engine, DENSE);
        }
        TuningTable.Entry second = TuningTable.load(device).get(KernelFamily.GEMM, cls).orElseThrow();
        assertEquals(List.of(), second.untried(), "taken up again and completed: " + Files.readString(file));
        assertFalse(Files.readString(file).contains(".untried="), Files.readString(file));

        long written = Files.getLastModifiedTime(file).toMillis();
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(written - 60_000));
        try (Engine engine = OpenClTestDevice.engine()) {
            algorithm(engine, DENSE);
        }
        assertEquals(written - 60_000, Files.getLastModifiedTime(file).toMillis(), "a complete class was tuned again");
    }

    /**
     * With tuning on, a budget that is not a positive, finite number of seconds is refused at the
     * first plan, naming it, even when the class needs no tuning (its entry complete), so that it
     * does not surface later, on some other class's first use (and at engine creation when set
     * before it); with tuning off it is not read.
     */
    @Test
    void aBadBudgetIsRefusedAtTheFirstPlanEvenWhenNothingNeedsTuning() {
        System.setProperty(AutoTune.PROPERTY, "on");
        System.setProperty(AutoTune.SECONDS_PROPERTY, "600");
        try (Engine engine = OpenClTestDevice.engine()) {
            algorithm(engine, DENSE); // tunes the class to completion
        }
        assertTrue(TuningTable.load(device).complete(KernelFamily.GEMM, DENSE),
                "the class must need no tuning for this test to mean anything");
        for (String bad : List.of("0", "-1", "five", "NaN", "1e400", "1e-10", "2f", "0x1p3")) {
            try (Engine engine = OpenClTestDevice.engine()) {
                System.setProperty(AutoTune.SECONDS_PROPERTY, bad); // set after the engine was made
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> algorithm(engine, DENSE), bad);
                assertEquals("-Dconvcl.autotune.seconds '" + bad
                        + "' must be a positive, finite number of seconds (a decimal number, at least 1e-9)", e.getMessage());
            }
            // set before: the engine itself is refused, before anything is opened
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    OpenClTestDevice::engine, bad);
            assertEquals("-Dconvcl.autotune.seconds '" + bad
                    + "' must be a positive, finite number of seconds (a decimal number, at least 1e-9)", e.getMessage());
            System.setProperty(AutoTune.SECONDS_PROPERTY, "600");
        }
        System.setProperty(AutoTune.PROPERTY, "off");
        try (Engine engine = OpenClTestDevice.engine()) {
            algorithm(engine, DENSE); // the budget is not read
        }
    }

    /**
     * A value of the switch that is neither on nor off is refused, naming it: at engine creation
     * on every device when set before it, at the first plan when set after.
     */
    @Test
    void anUnknownAutotuneValueIsRefusedWithTheRule() {
        for (String bad : List.of("yes", "enabled", "2")) {
            System.clearProperty(AutoTune.PROPERTY);
            try (Engine engine = OpenClTestDevice.engine()) {
                System.setProperty(AutoTune.PROPERTY, bad); // set after the engine was made
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> algorithm(engine, DENSE));
                assertEquals("-Dconvcl.autotune '" + bad
                        + "' must be on, true or 1 (tune on first use), or off, false or 0", e.getMessage());
            }
            // set before: the engine itself is refused, on the CPU path too
            for (DeviceChoice choice : List.of(DeviceChoice.CPU, DeviceChoice.AUTO)) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> Engine.create(choice).close(), bad);
                assertEquals("-Dconvcl.autotune '" + bad
                        + "' must be on, true or 1 (tune on first use), or off, false or 0", e.getMessage());
            }
        }
        for (String off : List.of("off", "FALSE", " 0 ")) {
            System.setProperty(AutoTune.PROPERTY, off);
            try (Engine engine = OpenClTestDevice.engine()) {
                algorithm(engine, DENSE);
            }
            assertFalse(Files.exists(TuningTable.fileFor(TuningTable.defaultDir(), device)), off + " tuned");
        }
    }
}
