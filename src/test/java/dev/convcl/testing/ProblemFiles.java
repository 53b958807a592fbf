package dev.convcl.testing;

import dev.convcl.Convolution;
import dev.convcl.Operation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Named problem lists kept as one-line problems in test resources. */
public final class ProblemFiles {
    private ProblemFiles() {
    }

    /** An operation with the name its line carries, for messages. */
    public record Named(String name, Operation op) {
        /** The operation as a convolution (for the lists that hold only convolutions). */
        public Convolution spec() {
            return (Convolution) op;
        }

        @Override
        public String toString() {
            return name + " (" + op + ")";
        }
    }

    /**
     * The convolutions of {@code kernel-coverage.txt}: tiny problems that reach every convolution
     * kernel; used by the non-finite and determinism checks.
     */
    public static List<Named> kernelCoverage() {
        return read("/kernel-coverage.txt").stream().filter(p -> p.op() instanceof Convolution).toList();
    }

    /**
     * Every problem of {@code kernel-coverage.txt}, the network operations included: together they
     * reach every kernel file; used by the kernel coverage, build-warning and oclgrind checks.
     */
    public static List<Named> kernelCoverageAll() {
        return read("/kernel-coverage.txt");
    }

    /** Reads a resource of one-line problems, a name first; {@code #} starts a comment. */
    public static List<Named> read(String resource) {
        try (InputStream in = ProblemFiles.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            List<Named> out = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                String name = t.split("\\s+", 2)[0];
                out.add(new Named(name.contains("=") ? t : name, Operation.parse(t)));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
