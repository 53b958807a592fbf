package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.PrivateCacheDir;
import dev.convcl.testing.WarnCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Kernel binaries on disk are checked before any byte reaches the driver: a file cut short, one
 * with a flipped byte, another program's binary copied over it, or one in the format before the
 * header, is rebuilt from source and replaced, with a WARN naming the file and what does not match
 * (none for the old format). POCL crashed the JVM on a binary cut in half and ran a binary built
 * with other options (found by a new user's trial, 2026-12-08).
 */
@ExtendWith(PrivateCacheDir.class)
class ProgramCacheIntegrityOpenClTest {
    private static final String A = "-cl-std=CL1.2 -DVEC=2 -DACC=1";
    private static final String B = "-cl-std=CL1.2 -DVEC=4 -DACC=1";

    private static List<Path> binaries() throws IOException {
        Path kernels = PrivateCacheDir.root().resolve("kernels");
        try (Stream<Path> s = Files.list(kernels)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".kbin")).sorted().toList();
        }
    }

    /** Builds A (and B) in a context of its own, so the files exist; returns A's file and its bytes. */
    private static Path buildBoth() throws IOException {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            cl.context().programs().program("peak.cl", A);
        }
        List<Path> afterA = binaries();
        assertEquals(1, afterA.size(), afterA.toString());
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            cl.context().programs().program("peak.cl", B);
        }
        assertEquals(2, binaries().size());
        return afterA.get(0);
    }

    /** The program A in a new context, with the WARNs the cache emitted meanwhile. */
    private static List<String> loadA() {
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require());
             WarnCapture warn = WarnCapture.on(ProgramCache.class)) {
            ProgramCache programs = cl.context().programs();
            assertNotNull(programs.program("peak.cl", A));
            // the program is A's: a kernel of peak.cl runs from it (a binary of B would also have one,
            // so the files' keys, checked below, are what tells them apart)
            return warn.warnings();
        }
    }

    @Test
    void aDamagedOrForeignBinaryIsRebuiltReplacedAndNamed() throws IOException {
        Path a = buildBoth();
        byte[] good = Files.readAllBytes(a);
        Path b = binaries().stream().filter(p -> !p.equals(a)).findFirst().orElseThrow();
        byte[] other = Files.readAllBytes(b);
        assertTrue(good.length > BinaryFile.HEADER_BYTES + 1000, "a real binary: " + good.length + " bytes");

        record Damage(String name, UnaryOperator<byte[]> how, String said) {
        }
        List<Damage> damages = List.of(
                new Damage("cut in half", f -> Arrays.copyOf(f, f.length / 2), "(cut short)"),
                new Damage("cut to 100 bytes", f -> Arrays.copyOf(f, 100), "(cut short)"),
                new Damage("cut inside its header", f -> Arrays.copyOf(f, 40), "less than its 80-byte header"),
                new Damage("cut inside its magic", f -> Arrays.copyOf(f, 5), "is cut short: 5 bytes"),
                new Damage("emptied", f -> new byte[0], "is empty"),
                new Damage("one byte flipped", f -> {
                    byte[] c = f.clone();
                    c[c.length / 2] ^= 0x20;
                    return c;
                }, "does not match its header"),
                new Damage("bytes appended", f -> Arrays.copyOf(f, f.length + 16), "(bytes appended)"),
                new Damage("another program's binary", f -> other, "belongs to another program"));
        for (Damage d : damages) {
            Files.write(a, d.how().apply(good));
            List<String> warnings = loadA();
            assertEquals(1, warnings.size(), d.name() + ": " + warnings);
            assertTrue(warnings.get(0).startsWith("kernel binary " + a + " ") && warnings.get(0).contains(d.said())
                    && warnings.get(0).endsWith(": removed; the program is built from source"),
                    d.name() + ": " + warnings.get(0));
            byte[] now = Files.readAllBytes(a);
            assertNull(BinaryFile.check(now, Arrays.copyOfRange(good, 8, 40)).problem(),
                    d.name() + ": the file was replaced by a valid one");
            assertEquals(List.of(), loadA(), d.name() + ": the replaced file loads without a word");
        }
        // a file without the header (the driver's bytes alone) under this name: rebuilt without a WARN
        Files.write(a, Arrays.copyOfRange(good, BinaryFile.HEADER_BYTES, good.length));
        assertEquals(List.of(), loadA(), "a file without the header is replaced quietly");
        assertNull(BinaryFile.check(Files.readAllBytes(a), Arrays.copyOfRange(good, 8, 40)).problem());
        assertArrayEquals(other, Files.readAllBytes(b), "the other program's file was never touched");
    }

    /**
     * A refused file is removed before the program is rebuilt, so a build whose binary is not
     * written (the tuner defers its candidates' saves) leaves no bad file to warn about again.
     */
    @Test
    void aRefusedFileIsRemovedEvenWhenTheRebuildIsNotSaved() throws IOException {
        Path a = buildBoth();
        byte[] good = Files.readAllBytes(a);
        Files.write(a, Arrays.copyOf(good, good.length / 2));
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require());
             WarnCapture warn = WarnCapture.on(ProgramCache.class)) {
            ProgramCache programs = cl.context().programs();
            try (ProgramCache.SaveDeferral d = programs.deferSaves()) {
                assertNotNull(programs.program("peak.cl", A));
            }
            assertEquals(1, warn.warnings().size(), warn.warnings().toString());
            assertTrue(!Files.exists(a), "the refused file was removed; the deferred build wrote nothing yet");
        }
        assertEquals(List.of(), loadA(), "no WARN again: the file is gone, and this build writes it anew");
        assertNull(BinaryFile.check(Files.readAllBytes(a), Arrays.copyOfRange(good, 8, 40)).problem());
    }

    @Test
    void theHeaderRoundTripsAndEveryFieldIsChecked() {
        byte[] key = BinaryFile.sha256("key".getBytes());
        byte[] payload = "a binary".getBytes();
        byte[] file = BinaryFile.wrap(payload, key);
        assertEquals(BinaryFile.HEADER_BYTES + payload.length, file.length);
        assertArrayEquals(payload, BinaryFile.check(file, key).payload());
        BinaryFile.Check otherKey = BinaryFile.check(file, BinaryFile.sha256("other".getBytes()));
        assertTrue(otherKey.warn() && otherKey.problem().startsWith("belongs to another program"), otherKey.toString());
        byte[] lengthLies = file.clone();
        lengthLies[47]++;
        assertEquals("has 8 bytes of binary where its header says 9 (cut short)",
                BinaryFile.check(lengthLies, key).problem());
        byte[] sumLies = file.clone();
        sumLies[50]++;
        assertTrue(BinaryFile.check(sumLies, key).problem().contains("SHA-256"));
        BinaryFile.Check noMagic = BinaryFile.check("ELF not ours".getBytes(), key);
        assertTrue(!noMagic.warn() && noMagic.problem().startsWith("is not in this version's format"), noMagic.toString());
    }
}
