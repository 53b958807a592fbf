package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convcl.testing.ForkedJvm;
import dev.convcl.testing.LoaderProbe;
import dev.convcl.testing.OpenClTestDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library finds the OpenCL ICD loader however it is installed, and keeps standard output
 * clean. Each case runs {@link LoaderProbe} in a forked JVM inside a private mount namespace
 * ({@code unshare --mount}, as root), where an overlay hides some {@code libOpenCL.so*} files of
 * every folder that holds them; the rest of the system, and every other process, sees no change.
 * <ul>
 *   <li>only {@code libOpenCL.so.1} (Debian's runtime package without {@code ocl-icd-opencl-dev}):
 *       the device is used, with no action of the user's;</li>
 *   <li>no loader at all: the CPU path, one WARN saying what to install.</li>
 * </ul>
 * In both, the probe's standard output must stay empty: JOCL prints its own load failure there.
 */
class OpenClLoaderTest {
    /** Hides the files named in $HIDE (a grep -E pattern) in each folder of $LOADER_DIRS, then runs "$@". */
    private static final String HIDE_AND_RUN = """
            set -eu
            mount -t tmpfs convcl-test "$SCRATCH"
            i=0
            for dir in $LOADER_DIRS; do
              i=$((i + 1))
              mkdir "$SCRATCH/upper$i" "$SCRATCH/work$i"
              for f in "$dir"/libOpenCL.so*; do
                name=${f##*/}
                if printf '%s\\n' "$name" | grep -Eqx "$HIDE"; then
                  mknod "$SCRATCH/upper$i/$name" c 0 0   # an overlay whiteout: the file is gone
                fi
              done
              mount -t overlay convcl-test -o "lowerdir=$dir,upperdir=$SCRATCH/upper$i,workdir=$SCRATCH/work$i" "$dir"
              for f in "$dir"/libOpenCL.so*; do
                if [ -e "$f" ] && printf '%s\\n' "${f##*/}" | grep -Eqx "$HIDE"; then
                  echo "still visible: $f" >&2; exit 97
                fi
              done
            done
            exec "$@"
            """;

    @TempDir
    Path scratch;

    @Test
    void onlyTheVersionedLoaderIsEnough() throws IOException {
        OpenClTestDevice.require();
        List<Path> dirs = loaderDirs();
        assumeTrue(dirs.stream().anyMatch(d -> Files.exists(d.resolve("libOpenCL.so.1"))), "no libOpenCL.so.1 found");
        ForkedJvm.Result r = runHidden("libOpenCL\\.so", dirs);
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("opencl", r.result("backend"), "with only libOpenCL.so.1 the device must be used: " + r);
        assertEquals("none", r.result("fallback"), r.toString());
        assertEquals("", r.out(), "nothing may reach standard output: " + r);
        assertFalse(r.err().contains("WARN"), "no warning expected: " + r);
    }

    @Test
    void noLoaderMeansCpuPathAndAWarningThatSaysWhatToInstall() throws IOException {
        OpenClTestDevice.require();
        ForkedJvm.Result r = runHidden("libOpenCL\\.so.*", loaderDirs());
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("cpu", r.result("backend"), r.toString());
        assertEquals("", r.out(), "nothing may reach standard output: " + r);
        List<String> warnings = r.err().lines().filter(l -> l.startsWith("WARN")).toList();
        assertEquals(1, warnings.size(), "one WARN expected: " + r);
        String warning = warnings.get(0);
        assertTrue(warning.contains("no ICD loader") && warning.contains("apt-get install ocl-icd-libopencl1"),
                "the WARN must say what is missing and what to install: " + warning);
        assertTrue(warning.contains("(libOpenCL.so.1: "), "the WARN must give the dynamic linker's reason: " + warning);
    }

    private ForkedJvm.Result runHidden(String hide, List<Path> dirs) {
        assumeTrue(unshareWorks(), "unshare --mount is not permitted here (needs root)");
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
                "sh", "-c", HIDE_AND_RUN, "hide-and-run"));
        command.addAll(ForkedJvm.javaCommand(LoaderProbe.class, List.of("-Xmx256m")));
        return ForkedJvm.run(command, env -> {
            env.put("SCRATCH", scratch.toString());
            env.put("LOADER_DIRS", dirs.stream().map(Path::toString).collect(Collectors.joining(" ")));
            env.put("HIDE", hide);
            env.remove("POCL_SIGFPE_HANDLER"); // as a library user's process would start
            env.remove("LD_LIBRARY_PATH");
            env.remove("OCL_ICD_VENDORS");
            env.remove("OCL_ICD_FILENAMES");
            env.remove("CONVCL_DEVICE");
        }, 300);
    }

    private static boolean unshareWorks() {
        try {
            Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "true")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Every folder (by real path) holding a libOpenCL.so* file: the usual ones and those the linker cache names. */
    static List<Path> loaderDirs() throws IOException {
        Set<Path> candidates = new LinkedHashSet<>();
        for (String d : List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib")) {
            candidates.add(Path.of(d));
        }
        for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
            if (Files.isExecutable(Path.of(ldconfig))) {
                Process p = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
                String listing = new String(p.getInputStream().readAllBytes());
                listing.lines().filter(l -> l.contains("libOpenCL.so") && l.contains("=> "))
                        .map(l -> Path.of(l.substring(l.indexOf("=> ") + 3).trim()).getParent())
                        .forEach(candidates::add);
                break;
            }
        }
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path d : candidates) {
            if (Files.isDirectory(d)) {
                try (Stream<Path> files = Files.list(d)) {
                    if (files.anyMatch(f -> f.getFileName().toString().startsWith("libOpenCL.so"))) {
                        dirs.add(d.toRealPath());
                    }
                }
            }
        }
        return List.copyOf(dirs);
    }
}
