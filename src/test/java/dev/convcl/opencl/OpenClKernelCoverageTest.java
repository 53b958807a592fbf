package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.ProblemFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The problems of kernel-coverage.txt (the list ci/oclgrind.sh runs under oclgrind) agree with the
 * reference on the device, and together build every kernel file in opencl-kernels/: a new kernel
 * that no problem reaches fails here until a problem for it is added, so it cannot miss the
 * oclgrind check.
 */
class OpenClKernelCoverageTest {
    @Test
    void problemsAgreeWithReferenceAndReachEveryKernelFile() {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            List<ProblemFiles.Named> problems = ProblemFiles.kernelCoverageAll();
            assertFalse(problems.isEmpty());
            assertEquals(List.of(), KernelCheck.crossCheck(cl, problems));
            assertEquals(List.of(), KernelCheck.crossCheckRegisterTiles(cl, problems));
            assertEquals(List.of(), KernelCheck.crossCheckPeak(cl));
            assertEquals(List.of(), KernelCheck.crossCheckRoi(cl));
            Path dir = Path.of("opencl-kernels");
            assertFalse(KernelCheck.kernelFiles(dir).isEmpty(), "no kernel files found in " + dir.toAbsolutePath());
            assertEquals(Set.of(), KernelCheck.unbuilt(cl, dir),
                    "kernel files that no problem in kernel-coverage.txt reaches: add a problem that an implementation sends to each");
            assertEquals(0, cl.context().liveBytes());
            assertEquals(0, cl.context().guardViolations());
        }
    }
}
