package dev.convcl.opencl;

import dev.convcl.ConvArgs;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.spi.CompiledConv;
import dev.convcl.testing.ProblemFiles;
import dev.convcl.testing.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The kernel cross-check shared by {@link OpenClKernelCoverageTest} and {@link OclgrindKernelCheck}:
 * each problem compiled by the OpenCL backend (so whatever plan class KernelSelector picks),
 * executed on random data into a NaN-poisoned output, and compared with the reference; then
 * every kernel file in opencl-kernels/ must have been built by at least one problem.
 */
final class KernelCheck {
    /** fp32 against the double reference on these tiny problems: far above the error, far below a bug. */
    static final double TOLERANCE = 1e-5;

    private KernelCheck() {
    }

    /** Failure lines (empty when all agree), each with the problem's one-line form. */
    static List<String> crossCheck(OpenClBackend backend, List<ProblemFiles.Named> problems) {
        List<String> failures = new ArrayList<>();
        long seed = 11;
        for (ProblemFiles.Named p : problems) {
            ConvArgs args = Tensors.args(p.spec(), seed++, false, 2.5);
            ConvArgs ref = Tensors.withFreshOutput(args, p.spec());
            ReferenceConv.run(p.spec(), ref);
            try (CompiledConv plan = backend.compile(p.spec())) {
                plan.execute(args);
                double err = Tensors.relativeL2(ref.output().array(), args.output().array());
                if (!(err < TOLERANCE)) {
                    failures.add(p + " [" + plan.algorithm() + "]: relative L2 error " + err);
                }
            } catch (RuntimeException e) {
                failures.add(p + ": " + e);
            }
        }
        return failures;
    }

    /** The .cl files in {@code dir}. */
    static Set<String> kernelFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            Set<String> names = new TreeSet<>();
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".cl")).forEach(names::add);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("listing kernel files in " + dir.toAbsolutePath(), e);
        }
    }

    /** Kernel files in {@code dir} that {@code backend} has not built. */
    static Set<String> unbuilt(OpenClBackend backend, Path dir) {
        Set<String> missing = kernelFiles(dir);
        missing.removeAll(backend.context().programs().files());
        return missing;
    }
}
