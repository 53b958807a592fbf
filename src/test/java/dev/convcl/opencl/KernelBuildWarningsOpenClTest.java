package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convcl.testing.ForkedJvm;
import dev.convcl.testing.OpenClTestDevice;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernels compile without a warning, so a cold kernel cache prints nothing: a compiler warning
 * reaches the user twice, as a build log and as clang's "N warnings generated." line, which
 * POCL's compiler writes straight to the process's stderr. Each check runs
 * {@link KernelBuildCheck} in a JVM of its own with empty kernel caches (a cached program is not
 * compiled), on this machine's device and, on a POCL CPU device of an x86 machine with AVX2, on
 * POCL's pthread-haswell device (POCL_KERNELLIB_NAME=avx2): without AVX-512 a float16 passed to
 * a built-in function changes the calling convention and clang warns.
 */
class KernelBuildWarningsOpenClTest {
    private static final Pattern SUMMARY = Pattern.compile(
            "kernel-build-check: (.*): (\\d+) configurations, (\\d+) programs built, (\\d+) with a build log");

    @TempDir
    Path dir;

    @Test
    void everyKernelConfigurationBuildsWithoutWarningsOnThisDevice() throws Exception {
        OpenClTestDevice.require();
        assertBuildsCleanly(Map.of());
    }

    @Test
    void everyKernelConfigurationBuildsWithoutWarningsOnAnAvx2Cpu() throws Exception {
        OpenClDeviceInfo device = OpenClTestDevice.require();
        assumeTrue(device.platformName().contains("Portable Computing Language") && device.isCpu(),
                "POCL's CPU device is needed to choose the AVX2 target: " + device.describe());
        assumeTrue(cpuHasAvx2(), "this CPU has no AVX2, so POCL cannot compile for it");
        assumeFalse(device.name().contains("haswell"), "this device is POCL's AVX2 one: the test above checks it");
        String devices = assertBuildsCleanly(Map.of("POCL_KERNELLIB_NAME", "avx2"));
        assertTrue(devices.contains("pthread-haswell"), "POCL_KERNELLIB_NAME=avx2 should give the haswell device: " + devices);
    }

    @Test
    void aSuccessfulBuildLogsAtDebugOnlyAndAFailedOneKeepsTheLogInTheException() throws Exception {
        OpenClTestDevice.require();
        Child r = run(List.of("--probe"), Map.of());
        assertEquals(0, r.code, r.output);
        List<String> events = r.output.lines().filter(l -> l.startsWith("probe: ")).toList();
        assertTrue(events.stream().anyMatch(l -> l.startsWith("probe: DEBUG built build_warning_probe.cl")
                && l.contains("build log")), r.output);
        assertTrue(r.output.contains("build_warning_probe: an expected warning"), "the log itself: " + r.output);
        assertFalse(events.stream().anyMatch(l -> l.matches("probe: (INFO|WARN|ERROR) .*")),
                "nothing above DEBUG: " + r.output);
        assertTrue(events.stream().anyMatch(l -> l.startsWith("probe: exception building build_error_probe.cl")),
                r.output);
        assertTrue(r.output.contains("--- build log ---") && r.output.contains("build_error_probe_undeclared"),
                "the failed build's log is in the exception: " + r.output);
    }

    /** Runs the whole build check in a fresh JVM; returns the device line. */
    private String assertBuildsCleanly(Map<String, String> env) throws Exception {
        Child r = run(List.of(), env);
        Matcher m = SUMMARY.matcher(r.output);
        assertTrue(m.find(), r.output);
        assertEquals(0, r.code, r.output);
        assertTrue(Integer.parseInt(m.group(2)) >= 100, "the check should visit many configurations: " + m.group());
        assertEquals("0", m.group(4), r.output);
        for (String line : r.output.lines().toList()) {
            assertFalse(line.toLowerCase(java.util.Locale.ROOT).contains("warning"),
                    "no warning on stdout or stderr, including the compiler's own 'N warnings generated.': " + line);
        }
        return m.group(1);
    }

    private record Child(int code, String output) {
    }

    /** KernelBuildCheck in a new JVM with empty convcl and POCL kernel caches, stdout and stderr together. */
    private Child run(List<String> args, Map<String, String> env) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", ForkedJvm.classPath(), KernelBuildCheck.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("CONVCL_CACHE_DIR", Files.createDirectories(dir.resolve("convcl")).toString());
        pb.environment().put("POCL_CACHE_DIR", Files.createDirectories(dir.resolve("pocl")).toString());
        pb.environment().put("POCL_KERNEL_CACHE", "0");
        pb.environment().put("POCL_SIGFPE_HANDLER", "0");
        pb.environment().putAll(env);
        Path log = dir.resolve("child.log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("KernelBuildCheck did not finish in 15 minutes: " + Files.readString(log));
        }
        return new Child(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private static boolean cpuHasAvx2() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        return Files.isReadable(cpuinfo) && Files.readAllLines(cpuinfo).stream()
                .anyMatch(l -> l.startsWith("flags") && (" " + l + " ").contains(" avx2 "));
    }
}
