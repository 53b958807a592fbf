package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.PrivateCacheDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Compiled kernels land in kernels/ under the cache root, nowhere else in it. */
@ExtendWith(PrivateCacheDir.class)
class CacheDirOpenClTest {
    @Test
    void kernelBinariesGoToKernelsUnderTheRoot() throws IOException {
        OpenClDeviceInfo device = OpenClTestDevice.require();
        Operation spec = Operation.parse("op=conv2d n=1 c=3 h=9 w=9 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        try (Engine engine = Engine.create(DeviceChoice.parse("opencl:" + device.index()));
             Plan plan = engine.plan(spec)) {
            assertEquals("opencl", plan.backend());
        }
        List<String> top;
        try (Stream<Path> s = Files.list(PrivateCacheDir.root())) {
            top = s.map(p -> p.getFileName().toString()).toList();
        }
        assertEquals(List.of("kernels"), top, "only kernels/ at the root");
        List<String> binaries;
        try (Stream<Path> s = Files.list(PrivateCacheDir.root().resolve("kernels"))) {
            binaries = s.map(p -> p.getFileName().toString()).toList();
        }
        assertFalse(binaries.isEmpty());
        assertTrue(binaries.stream().allMatch(n -> n.endsWith(".kbin")), binaries.toString());
    }

    /**
     * A cache root where no folder can be made (a name longer than any file system takes, which
     * permissions cannot allow, even root's): one WARN naming the folder and the setting, since
     * every process then compiles every kernel again; it was a DEBUG line. The root is new to each
     * run, so the once-a-folder rule cannot hide the WARN on a repeated run.
     */
    @Test
    void aKernelFolderThatCannotBeMadeIsWarnedOfOnce() throws Exception {
        OpenClDeviceInfo device = OpenClTestDevice.require();
        Path root = PrivateCacheDir.root().resolve("x".repeat(300)).resolve("cache");
        dev.convcl.testing.SystemProperties.run(CacheDir.PROPERTY, root.toString(), () -> {
            try (dev.convcl.testing.WarnCapture warns = dev.convcl.testing.WarnCapture.on(dev.convcl.opencl.ProgramCache.class)) {
                for (String spec : List.of("op=conv2d n=1 c=3 h=9 w=9 k=4 kh=3 kw=3 pad=1",
                        "op=conv2d n=1 c=8 h=9 w=9 k=8 kh=3 kw=3 pad=1 groups=8")) {
                    try (Engine engine = Engine.create(DeviceChoice.parse("opencl:" + device.index()));
                         Plan plan = engine.plan(Operation.parse(spec))) {
                        assertEquals("opencl", plan.backend());
                    }
                }
                List<String> w = warns.warnings().stream().filter(m -> m.startsWith("kernel binaries are not kept")).toList();
                assertEquals(1, w.size(), warns.warnings().toString());
                assertTrue(w.get(0).contains("the folder " + root.resolve("kernels").toAbsolutePath() + " cannot be made: ")
                        && w.get(0).contains(" (the cache root " + root.toAbsolutePath())
                        && w.get(0).contains("from -Dconvcl.cacheDir)"), w.get(0));
            }
        });
    }
}
