package dev.convcl.cli;

import dev.convcl.Engine;
import dev.convcl.Convolution;
import dev.convcl.CacheDir;
import dev.convcl.DeviceChoice;
import dev.convcl.DeviceUnavailableException;
import dev.convcl.opencl.OpenClContext;
import dev.convcl.opencl.TuningTable;
import dev.convcl.opencl.Tuner;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convcl tune}: searches kernel tiles per family and problem class and keeps the winners for this device. */
@Command(name = "tune", sortOptions = false, description = {
        "Finds the fastest tile of each kernel family (gemm, depthwise, deform-gemm) and problem class on an "
                + "OpenCL device, for later plans.",
        "Times every candidate tile of each problem class of a shapes file, after checking each candidate's "
                + "output against the direct kernel, and stores the winners in the device's tuning file (keyed "
                + "by device and driver), by default in tuning/ under the cache root ($CONVCL_CACHE_DIR, else "
                + "$XDG_CACHE_HOME/convcl, else ~/.cache/convcl; see --dir): it says where before timing and "
                + "names the file in its last line (tuning file: ...); plans use it automatically from then on. "
                + "Without it, plans use defaults derived from what the device reports; with CONVCL_AUTOTUNE=on "
                + "(or -Dconvcl.autotune=on) a class without an entry is tuned on first use within "
                + "CONVCL_AUTOTUNE_SECONDS (default 5) seconds, and a class whose budget left candidates out "
                + "is taken up again on a later process's first use (the defaults and the class's tile, then "
                + "the candidates left out). Plans read the tuning file only from the default folder (see --dir)."})
final class TuneCommand extends CliCommand {

    @Option(names = "--shapes", paramLabel = "FILE",
            description = "Shapes file, as bench takes it (default: the bundled suite); its RoI lines (op=roi_align, "
                    + "ps_roi_align, deform_roi_pool) are skipped with a note, since tune tunes convolution kernels only.")
    Path shapes;

    @Option(names = "--quick", description = "Only the problems marked quick=1.")
    boolean quick;

    @Option(names = "--filter", paramLabel = "REGEX",
            description = "Only problems whose name contains a match (not empty: leave it out for all).")
    String filter;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Folder of the tuning file, created if missing; before any timing it must be a writable "
                    + "folder or one that can be made (default: the folder plans read it from, tuning/ under the cache "
                    + "root: $CONVCL_CACHE_DIR, else $XDG_CACHE_HOME/convcl, else ~/.cache/convcl). Plans read "
                    + "only that default folder: copy a file tuned elsewhere into it to use it.")
    Path dir;

    @Option(names = "--device", paramLabel = "opencl|opencl:N", defaultValue = "opencl",
            description = "The OpenCL device to tune (default: ${DEFAULT-VALUE}; auto means opencl; "
                    + DEVICE_DEFAULT_HELP + ").")
    DeviceChoice device;

    @Override
    public Integer call() throws Exception {
        device = device(device);
        if (device.kind() == DeviceChoice.Kind.CPU) {
            throw new IllegalArgumentException(deviceSource() == null
                    ? "--device cpu: tune needs an OpenCL device (opencl or opencl:N)"
                    : "device cpu (from " + deviceSource() + "): tune needs an OpenCL device (opencl or opencl:N); "
                            + "--device overrides it");
        }
        Pattern pattern = BenchSuite.filter(filter);
        // RoI lines (which bench times from the same file) have no tiles to tune: left out with a note
        BenchSuite.Convolutions chosen = BenchSuite.convolutions(BenchSuite.select(
                BenchSuite.load(shapes == null ? null : file("shapes file", "--shapes", shapes)), quick, pattern),
                "tune");
        List<Convolution> specs = chosen.convolutions().stream().map(s -> s.withBias(true)).toList();
        // Found out now rather than after minutes of timing; a folder made for that is removed
        // again if the command fails before its tuning file is in it, or is stopped (Ctrl-C,
        // SIGTERM: the JVM then runs its shutdown hooks, not this method's finally).
        if (dir == null) {
            Optional<String> blocked = CacheDir.blocked(TuningTable.defaultDir());
            if (blocked.isPresent()) {
                throw new IllegalArgumentException("the tuning folder " + TuningTable.defaultDir().toAbsolutePath()
                        + " cannot be made: " + blocked.get() + "; point it at a folder, or give --dir");
            }
        }
        // the cache's folder is checked as --dir is (a root under /proc passes the file test above
        // and fails only when the file is written); it names the setting that chose the root
        List<Path> created = dir == null
                ? new FileArg("tuning folder", "the cache root's, from " + CacheDir.rootSource(), TuningTable.defaultDir())
                        .checkFolderWritable()
                : file("tuning folder", "--dir", dir).checkFolderWritable();
        Thread cleanup = new Thread(() -> FileArg.removeIfEmpty(created), "convcl-tune-cleanup");
        if (!created.isEmpty()) {
            Runtime.getRuntime().addShutdownHook(cleanup);
        }
        boolean done = false;
        try {
            if (chosen.skipped() != null) {
                err().println(chosen.skipped());
                err().flush();
            }
            tune(specs, dir != null ? dir : TuningTable.defaultDir());
            done = true;
        } finally {
            if (!created.isEmpty()) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway; it only removes folders that are still empty
                }
            }
            if (!done) {
                FileArg.removeIfEmpty(created);
            }
        }
        return 0;
    }

    private void tune(List<Convolution> specs, Path folder) {
        DeviceChoice choice = device.kind() == DeviceChoice.Kind.AUTO ? DeviceChoice.OPENCL : device;
        Engine opened;
        try {
            opened = Engine.create(choice);
        } catch (DeviceUnavailableException e) {
            if (device.kind() != DeviceChoice.Kind.AUTO) {
                throw e;
            }
            // auto would have run on the CPU path; tune cannot, and the user did not ask for opencl
            throw new IllegalArgumentException("tune needs an OpenCL device, and auto"
                    + (deviceSource() == null ? "" : " (from " + deviceSource() + ")") + " found none: " + e.reason());
        }
        try (Engine engine = opened) {
            Optional<OpenClContext> ctx = PeakCommand.openClContext(engine);
            if (ctx.isEmpty()) {
                throw new IllegalArgumentException("no OpenCL device to tune: " + engine.deviceName());
            }
            // where the results go, before minutes of timing: without --dir, a folder the user never named
            Path file = TuningTable.fileFor(folder, ctx.get().info()).toAbsolutePath();
            err().println("tune: results go to " + file + (dir == null
                    ? " (the cache root's tuning folder; the cache root from " + CacheDir.rootSource() + ")"
                    : samePlace(folder, TuningTable.defaultDir()) ? " (--dir, the folder plans read)"
                    : " (--dir; plans read only " + TuningTable.defaultDir().toAbsolutePath() + ": copy it there to use it)"));
            err().flush();
            List<Tuner.Choice> chosen = Tuner.tune(ctx.get(), specs, line -> {
                err().println(line);
                err().flush();
            }, folder);
            for (Tuner.Choice c : chosen) {
                out().printf(java.util.Locale.ROOT, "%-12s %-24s %s  %.1f GFLOP/s  (%d candidates, %d rejected)%n",
                        c.family(), c.problemClass(), c.config(), c.gflops(), c.candidates(), c.rejected());
                c.perProblem().forEach((problem, own) -> out().printf(java.util.Locale.ROOT,
                        "%-12s %-24s   for %s: %s%n", "", "", problem, own));
            }
            out().println("tuning file: " + file);
        }
    }

    /** Whether {@code a} and {@code b} name one folder (as typed, made absolute, or through links). */
    private static boolean samePlace(Path a, Path b) {
        try {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())
                    || (java.nio.file.Files.exists(a) && java.nio.file.Files.exists(b) && java.nio.file.Files.isSameFile(a, b));
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
