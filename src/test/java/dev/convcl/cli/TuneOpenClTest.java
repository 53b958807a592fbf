package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.opencl.TuningTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl tune} on the OpenCL device, writing its file into a private folder. */
class TuneOpenClTest {
    @TempDir
    Path dir;

    @Test
    void tunesEachClassAndWritesTheDevicesTuningFile() throws Exception {
        Path shapes = dir.resolve("shapes.txt");
        Files.writeString(shapes, """
                tiny.dense   op=conv2d n=1 c=4 h=9 w=9 k=8 kh=3 kw=3 pad=1
                tiny.1x1     op=conv2d n=1 c=8 h=6 w=6 k=8 kh=1 kw=1
                tiny.dw      op=conv2d n=1 c=4 h=9 w=9 k=4 kh=3 kw=3 pad=1 groups=4
                tiny.roi     op=roi_align n=1 c=4 h=12 w=10 rois=5 ph=2 pw=2 scale=0.5 sr=0 aligned=0
                tiny.dcn     op=deform2d n=1 c=4 h=7 w=8 k=6 kh=3 kw=3 pad=1 og=1 mask=1
                """);
        Path tuning = dir.resolve("tuning");   // missing: --dir creates it
        assertFalse(Files.exists(tuning));
        Cli.DeviceRun run = Cli.onDevice("tune", "--shapes", shapes.toString(), "--dir", tuning.toString());
        OpenClDeviceInfo device = run.device();
        Cli.Result r = run.result();
        assertEquals(0, r.code(), r.toString());
        // a shapes file bench takes whole is one tune takes: its RoI line is skipped with one note
        assertTrue(r.err().lines().anyMatch(("tune: skipping 1 RoI line of shapes file " + shapes + " (--shapes), line 4 "
                + "'tiny.roi' (roi_align): tune takes convolutions only (op=conv2d or op=deform2d), and goes on with the "
                + "4 convolutions left")::equals), r.toString());
        Path file = TuningTable.fileFor(tuning, device);
        assertTrue(Files.isRegularFile(file), "no tuning file at " + file + ": " + r);
        assertTrue(r.out().contains("tuning file: " + file), r.toString());
        // said before the timing, with what reads it: plans read the default folder only
        assertTrue(r.err().lines().anyMatch(("tune: results go to " + file + " (--dir; plans read only "
                + TuningTable.defaultDir().toAbsolutePath() + ": copy it there to use it)")::equals), r.toString());
        // Every family: two GEMM classes (dense, pointwise), one depthwise, one deformable.
        assertEquals(4, r.out().lines().filter(l -> l.contains("GFLOP/s")).count(), r.toString());
        assertEquals(java.util.Set.of("gemm.dense-smallhw", "gemm.pointwise-smallhw", "depthwise.small-smallhw",
                "deform-gemm.deform-smallhw"), TuningTable.load(tuning, device).entries().keySet(), Files.readString(file));
    }

    /**
     * A tune stopped by a signal (SIGTERM here; Ctrl-C's SIGINT runs the same shutdown hooks)
     * while it times leaves no folder that {@code --dir} made: a JVM ends on a signal without
     * running the command's finally blocks.
     */
    @Test
    void aTuneStoppedBySignalRemovesTheFolderItMade() throws Exception {
        OpenClDeviceInfo device = dev.convcl.testing.OpenClTestDevice.require();
        Path shapes = dir.resolve("shapes.txt");
        // big enough that its candidates take seconds to time, whatever the kernel cache holds
        Files.writeString(shapes, "big.dense   op=conv2d n=1 c=256 h=56 w=56 k=256 kh=3 kw=3 pad=1\n");
        Path made = dir.resolve("made");
        Path tuning = made.resolve("tuning");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(dev.convcl.testing.ForkedJvm.javaCommand(Main.class, List.of(), "tune",
                "--device", "opencl:" + device.index(), "--shapes", shapes.toString(), "--dir", tuning.toString()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!(Files.exists(err) && Files.readString(err).contains("tuning 1 problem class")) && p.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(p.isAlive(), "the tune ended before it was stopped: " + Files.readString(err));
            assertTrue(Files.isDirectory(tuning), "--dir made no folder before timing: " + Files.readString(err));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the tune did not end on SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        assertFalse(Files.exists(made), "left behind: " + made + "; " + Files.readString(err));
    }

    /**
     * Without --dir, the results go to a folder the user never named: where, and which setting chose
     * it, is said on stderr before any timing, and the file is named again in stdout's last line.
     */
    @Test
    void withoutDirSaysWhereTheResultsGo() throws Exception {
        OpenClDeviceInfo device = dev.convcl.testing.OpenClTestDevice.require();
        Path root = dir.resolve("cache");
        Path shapes = Files.writeString(dir.resolve("shapes.txt"), "tiny.dense   op=conv2d n=1 c=4 h=9 w=9 k=8 kh=3 kw=3 pad=1\n");
        dev.convcl.testing.SystemProperties.run(dev.convcl.CacheDir.PROPERTY, root.toString(), () -> {
            Cli.Result r = Cli.run("tune", "--device", "opencl:" + device.index(), "--shapes", shapes.toString());
            assertEquals(0, r.code(), r.toString());
            Path file = TuningTable.fileFor(root.resolve("tuning"), device).toAbsolutePath();
            List<String> err = r.err().lines().toList();
            int said = err.indexOf("tune: results go to " + file + " (the cache root's tuning folder; the cache root "
                    + "from -Dconvcl.cacheDir)");
            int timed = err.indexOf(err.stream().filter(l -> l.startsWith("tuning 1 problem class")).findFirst().orElse(""));
            assertTrue(said >= 0 && said < timed, "said before the timing: " + r);
            assertEquals("tuning file: " + file, r.lastLine(), r.toString());
            assertTrue(Files.isRegularFile(file), r.toString());
        });
    }

    /**
     * A cache root that names a file cannot hold the tuning folder: refused in one line naming the
     * file and the setting before anything is timed, not after minutes of tuning.
     */
    @Test
    void refusesACacheRootThatIsAFileBeforeTiming() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        Path shapes = Files.writeString(dir.resolve("shapes.txt"), "tiny.dense   op=conv2d n=1 c=4 h=9 w=9 k=8 kh=3 kw=3 pad=1\n");
        dev.convcl.testing.SystemProperties.run(dev.convcl.CacheDir.PROPERTY, file.toString(), () -> {
            Cli.Result r = Cli.run("tune", "--device", "opencl", "--shapes", shapes.toString());
            Cli.assertUsageError(r, file + ", the cache root from -Dconvcl.cacheDir, is a file, not a folder;"
                    + " point it at a folder, or give --dir");
            assertFalse(r.out().contains("GFLOP/s") || r.err().contains("tuning 1 problem class"), r.toString());
        });
    }

    /**
     * A cache root the file system will not let a folder be made in (a name longer than any file
     * system takes; {@code /proc} does the same where root's permissions say yes): refused before
     * timing, as {@code --dir} there is, naming the setting; it failed when saving, after every
     * candidate was timed.
     */
    @Test
    void refusesACacheRootWhereNoFolderCanBeMadeBeforeTiming() throws Exception {
        Path shapes = Files.writeString(dir.resolve("shapes.txt"), "tiny.dense   op=conv2d n=1 c=4 h=9 w=9 k=8 kh=3 kw=3 pad=1\n");
        Path root = dir.resolve("x".repeat(300)).resolve("cache");
        dev.convcl.testing.SystemProperties.run(dev.convcl.CacheDir.PROPERTY, root.toString(), () -> {
            Cli.Result r = Cli.run("tune", "--device", "opencl", "--shapes", shapes.toString());
            Cli.assertUsageError(r, "tuning folder " + root.resolve("tuning").toAbsolutePath().normalize()
                    + " (the cache root's, from -Dconvcl.cacheDir): cannot be created");
            assertFalse(r.err().contains("tuning 1 problem class"), r.toString());
        });
    }

    /** cpu from the environment is named as such: no --device was typed. */
    @Test
    void aCpuDeviceFromTheEnvironmentIsNamedAsSuch() throws Exception {
        dev.convcl.testing.SystemProperties.run(dev.convcl.DeviceChoice.PROPERTY, "cpu", () -> {
            Cli.assertUsageLine(Cli.run("tune", "--quick"), "convcl tune: device cpu (from -Dconvcl.device): tune needs an "
                    + "OpenCL device (opencl or opencl:N); --device overrides it");
        });
    }

    @Test
    void refusesTheCpuPath() {
        Cli.assertUsageError(Cli.run("tune", "--device", "cpu"), "--device cpu");
    }
}
