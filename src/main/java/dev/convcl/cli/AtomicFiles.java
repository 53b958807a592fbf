package dev.convcl.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes output files all at once or not at all: the bytes go to a temporary file in the target's
 * folder (same file system, so the rename is atomic), which replaces the target only when
 * complete. On any failure the temporary file is deleted and the target is left as it was.
 */
final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Produces the content of a file. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Whether {@code target} can be written: its folder exists and it is not itself a folder. */
    static void checkWritable(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IOException(target + ": folder " + dir + " does not exist");
        }
        if (Files.isDirectory(abs)) {
            throw new IOException(target + " is a folder");
        }
        if (dir != null && !Files.isWritable(dir)) {
            throw new IOException(target + ": folder " + dir + " is not writable");
        }
    }

    static void write(Path target, Content content) throws IOException {
        checkWritable(target);
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
        boolean moved = false;
        try {
            readableByAll(tmp);
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                content.writeTo(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Temporary files are created owner-only; a result file gets the usual rw-r--r--. */
    private static void readableByAll(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep what it gave
        }
    }

    static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }
}
