package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Convolution;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.PrivateCacheDir;
import dev.convcl.testing.Problems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the program cache writes kernel binaries to disk: at once, except while the building thread
 * defers saves ({@link ProgramCache#deferSaves}, what the tuner does for its candidates); then when
 * the program is asked for again outside the scope.
 */
@ExtendWith(PrivateCacheDir.class)
class ProgramCacheSavesOpenClTest {
    /** Three programs of one small file. */
    private static final String A = "-cl-std=CL1.2 -DVEC=2 -DACC=1";
    private static final String B = "-cl-std=CL1.2 -DVEC=4 -DACC=1";
    private static final String C = "-cl-std=CL1.2 -DVEC=8 -DACC=1";

    @TempDir
    Path tuningDir;

    private static long binaries() throws IOException {
        Path kernels = PrivateCacheDir.root().resolve("kernels");
        if (!Files.isDirectory(kernels)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(kernels)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".kbin")).count();
        }
    }

    @Test
    void aDeferredBuildIsWrittenWhenAskedForOutsideTheScope() throws IOException {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            ProgramCache programs = cl.context().programs();
            assertEquals(0, binaries(), "a new context writes nothing");
            try (ProgramCache.SaveDeferral outer = programs.deferSaves()) {
                programs.program("peak.cl", A);
                try (ProgramCache.SaveDeferral inner = programs.deferSaves()) {
                    programs.program("peak.cl", B);
                }
                programs.program("peak.cl", A); // asked for again, still inside the outer scope
                assertEquals(0, binaries(), "nothing is written while saves are deferred");
                assertEquals(2, programs.unsavedCount());
            }
            programs.program("peak.cl", A);
            assertEquals(1, binaries(), "the first request outside the scope writes that program");
            assertEquals(1, programs.unsavedCount());
            programs.program("peak.cl", A);
            assertEquals(1, binaries(), "written once");
            programs.program("peak.cl", C);
            assertEquals(2, binaries(), "a build outside any scope is written at once");
            assertEquals(1, programs.unsavedCount(), "B was never asked for again");
        }
    }

    @Test
    void anotherThreadDoesNotDeferSaves() throws Exception {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            ProgramCache programs = cl.context().programs();
            AtomicInteger written = new AtomicInteger(-1);
            try (ProgramCache.SaveDeferral d = programs.deferSaves()) {
                Thread other = new Thread(() -> {
                    programs.program("peak.cl", A);
                    try {
                        written.set((int) binaries());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                other.start();
                other.join();
            }
            assertEquals(1, written.get(), "a build on a thread without a scope is written at once");
            assertEquals(0, programs.unsavedCount());
        }
    }

    @Test
    void tuningWritesNoCandidateAndAPlanOfTheWinnerWritesItsOwn() throws IOException {
        Convolution dense = TunerOpenClTest.DENSE;
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            List<String> progress = new ArrayList<>();
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(dense), progress::add, tuningDir, Tuner.Budget.UNLIMITED,
                    s -> TunerOpenClTest.CANDIDATES, (c, s, cfg) -> KernelFamily.of(s).create(c, s, cfg));
            assertEquals(1, choices.size(), progress.toString());
            assertEquals(0, binaries(), "no candidate's binary is written by the tuning: " + progress);
            int unsaved = ctx.programs().unsavedCount();
            assertTrue(unsaved >= TunerOpenClTest.CANDIDATES.size(),
                    "each candidate (and the direct kernel checking them) was built: " + unsaved + ", " + progress);

            String winner = choices.get(0).config();
            String config = TuningTable.DEFAULTS.equals(winner)
                    ? KernelFamily.GEMM.defaultConfig(dense, ctx.info()).orElseThrow() : winner;
            try (Primitive plan = KernelFamily.GEMM.create(ctx, dense, KernelFamily.GEMM.fitted(dense, config))) {
                long written = binaries();
                assertTrue(written >= 1, "the winner's plan writes its programs: " + config);
                assertEquals(unsaved - written, ctx.programs().unsavedCount(), "what it wrote is no longer pending");
            }
        }
    }
}
