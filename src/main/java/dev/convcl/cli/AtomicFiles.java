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
        String problem = writeProblem(target);
        if (problem != null) {
            throw new IOException(target + ": " + problem);
        }
    }

    /**
     * Why {@code target} cannot be written (its folder is missing or not writable, or it is a
     * folder), in words without the target's name; null when it can be.
     */
    static String writeProblem(Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            return "its folder " + dir + " does not exist";
        }
        if (Files.isDirectory(abs)) {
            return "is a folder; a file name is needed";
        }
        if (dir != null && !Files.isWritable(dir)) {
            return "its folder " + dir + " is not writable";
        }
        return null;
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
