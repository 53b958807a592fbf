package dev.convcl.opencl;

import dev.convcl.testing.ProblemFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The program ci/oclgrind.sh runs under {@code oclgrind --check-api --data-races}: the kernel
 * cross-check of {@link KernelCheck} on the problems of kernel-coverage.txt, on the one device
 * oclgrind simulates. Exits 1 when a result is wrong, a kernel file was not reached, or the device
 * is not oclgrind's (so a run that silently used another device cannot pass); the script reads
 * oclgrind's own reports (invalid accesses, API errors, races) from its log.
 *
 * <p>Arguments: {@code [--any-device]} to skip the device check (for trying it on POCL).
 */
public final class OclgrindKernelCheck {
    private OclgrindKernelCheck() {
    }

    public static void main(String[] args) {
        boolean anyDevice = List.of(args).contains("--any-device");
        OpenClDiscovery found = OpenClDiscovery.discover();
        if (!found.available()) {
            System.err.println("oclgrind-check: FAIL: no OpenCL device: " + found.unavailable());
            System.exit(1);
        }
        OpenClDeviceInfo device = found.best().orElseThrow();
        if (!anyDevice && !device.platformName().contains("Oclgrind")) {
            System.err.println("oclgrind-check: FAIL: expected oclgrind's simulated device, got " + device.describe()
                    + " (run under `oclgrind java ...`, or pass --any-device)");
            System.exit(1);
        }
        int guard = Integer.getInteger(OpenClContext.GUARD_PROPERTY, 0);
        if (guard != 0) {
            // A guard region would hide an overrun from oclgrind, which checks the allocation's bounds.
            System.err.println("oclgrind-check: FAIL: run without " + OpenClContext.GUARD_PROPERTY);
            System.exit(1);
        }
        List<ProblemFiles.Named> problems = ProblemFiles.kernelCoverageAll();
        try (OpenClBackend cl = new OpenClBackend(device)) {
            List<String> failures = new ArrayList<>(KernelCheck.crossCheck(cl, problems));
            failures.addAll(KernelCheck.crossCheckRegisterTiles(cl, problems));
            failures.addAll(KernelCheck.crossCheckPeak(cl));
            failures.addAll(KernelCheck.crossCheckRoi(cl));
            Set<String> unbuilt = KernelCheck.unbuilt(cl, Path.of("opencl-kernels"));
            System.out.println("oclgrind-check: " + problems.size() + " problems on " + device.describe()
                    + "; kernel files built: " + cl.context().programs().files());
            failures.forEach(f -> System.out.println("oclgrind-check: FAIL: " + f));
            if (!unbuilt.isEmpty()) {
                System.out.println("oclgrind-check: FAIL: kernel files no problem reached: " + unbuilt);
            }
            if (!failures.isEmpty() || !unbuilt.isEmpty()) {
                System.exit(1);
            }
        }
        System.out.println("oclgrind-check: all problems agree with the reference");
    }
}
