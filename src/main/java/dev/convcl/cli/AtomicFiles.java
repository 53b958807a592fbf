package dev.convcl.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * Writes output files all at once or not at all: the bytes go to a temporary file in the target's
 * folder (same file system, so the rename is atomic), which replaces the target only when
 * complete. On any failure the temporary file is deleted and the target is left as it was.
 *
 * <p>A symbolic link is followed: the file it names is replaced and the link stays. A target that
 * exists and is no regular file (a device such as {@code /dev/null}, {@code /dev/stdout}, a named
 * pipe) is never replaced, which would put a file in the device's place: the bytes are written
 * into it as they come.
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
     * Why {@code target} cannot be written (its folder is missing, not writable or refuses a new
     * file, or it is a folder; a device or named pipe that is not writable), in words without the
     * target's name; null when it can be.
     */
    static String writeProblem(Path target) {
        if (target.toString().isEmpty()) {
            return "is empty; a file name is needed";
        }
        Path abs;
        try {
            abs = resolved(target);
        } catch (IOException e) {
            return FileArg.problem(e);
        }
        if (Files.isDirectory(abs)) {
            return "is a folder; a file name is needed";
        }
        if (isSpecial(abs)) {
            return Files.isWritable(abs) ? null : "is not writable";
        }
        Path dir = abs.getParent();
        // the folder named as typed (out, not /home/me/out); a link's folder, which was not typed, in full
        Path shown = abs.equals(target.toAbsolutePath()) && target.getParent() != null ? target.getParent() : dir;
        if (dir != null && !Files.isDirectory(dir)) {
            Path file = fileInTheWay(shown);
            return file != null ? Typed.shown(file.toString()) + (Files.isRegularFile(file) ? " is a file, not a folder"
                    : " is not a folder") // a device (/dev/null), a pipe or a socket
                    : "its folder " + Typed.shown(shown.toString()) + " does not exist";
        }
        if (dir != null && !Files.isWritable(dir)) {
            return "its folder " + Typed.shown(shown.toString()) + " is not writable";
        }
        // The permission bits do not tell it all (root passes them; /proc, a full disk or a quota
        // refuse new files anyway): create and remove a file there, as the write will.
        try {
            Files.delete(Files.createTempFile(dir, "." + abs.getFileName(), ".probe"));
        } catch (IOException e) {
            return "its folder " + Typed.shown(shown.toString()) + " takes no new files (" + FileArg.problem(e) + ")";
        }
        return null;
    }

    /**
     * The first part of the folder {@code dir} (as named: {@code x.npy} of {@code x.npy/a}) that
     * exists and is no folder, so that no file can be made below it; null when the first part that
     * is no folder does not exist (the folder is missing).
     */
    private static Path fileInTheWay(Path dir) {
        Path root = dir.getRoot();
        Path p = root;
        for (Path part : dir) {
            p = p == null ? part : p.resolve(part);
            if (!Files.isDirectory(p)) {
                return Files.exists(p) ? p : null;
            }
        }
        return null;
    }

    static void write(Path target, Content content) throws IOException {
        checkWritable(target);
        Path abs = resolved(target);
        if (isSpecial(abs)) {
            // A device or a pipe cannot be replaced by a rename, and must not be: written in place,
            // appended (a file behind /dev/stdout keeps what the command printed before).
            try (OutputStream out = new BufferedOutputStream(
                    Files.newOutputStream(abs, StandardOpenOption.WRITE, StandardOpenOption.APPEND), 1 << 16)) {
                content.writeTo(out);
            }
            return;
        }
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

    /**
     * Whether {@code target} is this process's standard output ({@code /dev/stdout},
     * {@code /proc/self/fd/1}, or the file, pipe or terminal that stdout was opened on): the same
     * file once links are followed. False for {@code /dev/null}, and where that cannot be told
     * (neither {@code /proc/self/fd/1} nor {@code /dev/fd/1}).
     */
    static boolean isStandardOutput(Path target) {
        try {
            if (!Files.exists(target) || Files.isSameFile(target, Path.of("/dev/null"))) {
                return false; // /dev/null keeps nothing: no line there needs moving
            }
            for (String fd1 : List.of("/proc/self/fd/1", "/dev/fd/1")) { // Linux; macOS and the BSDs
                if (Files.exists(Path.of(fd1))) {
                    return Files.isSameFile(target, Path.of(fd1));
                }
            }
            return false;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * Whether writing {@code a} would replace the file {@code b} names (or writing {@code b}
     * replaces; links followed, even to a file not made yet): never for targets written in place
     * such as {@code /dev/null}, which several outputs may share.
     */
    static boolean sameFile(Path a, Path b) {
        Optional<Path> ra = replaces(a), rb = replaces(b);
        return ra.isPresent() && rb.isPresent() && ra.get().equals(rb.get());
    }

    /**
     * The file that writing {@code target} replaces, as one canonical path (its folder's links
     * resolved), so that two targets naming one file compare equal; empty for a target written in
     * place ({@link #isSpecial}: {@code /dev/null}, a pipe), which several outputs may share.
     */
    static Optional<Path> replaces(Path target) {
        try {
            Path abs = target.toAbsolutePath().normalize();
            if (isSpecial(abs)) {
                return Optional.empty();
            }
            Path r = resolved(abs).normalize();
            Path parent = r.getParent();
            if (parent != null && Files.exists(parent)) {
                r = parent.toRealPath().resolve(r.getFileName());
            }
            return Optional.of(r);
        } catch (IOException e) {
            return Optional.of(target.toAbsolutePath().normalize());
        }
    }

    /**
     * Whether {@code abs} is written in place rather than replaced: it exists and is neither a
     * regular file nor a folder (a device, a pipe, a socket), or it is a link into {@code /proc}
     * ({@code /dev/stdout}: the caller's own output, which may be a file its shell opened).
     */
    private static boolean isSpecial(Path abs) {
        if (!Files.exists(abs) || Files.isDirectory(abs)) {
            return false;
        }
        if (!Files.isRegularFile(abs)) {
            return true;
        }
        try {
            Path p = abs;
            for (int hops = 0; hops < 40 && Files.isSymbolicLink(p); hops++) {
                if (p.startsWith("/proc")) {
                    return true;
                }
                p = p.resolveSibling(Files.readSymbolicLink(p));
            }
            return p.startsWith("/proc");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The absolute path that writing {@code target} replaces: the target itself, or, for a
     * symbolic link, the path it leads to (which may not exist yet); a target written in place
     * ({@link #isSpecial}) is kept as given.
     */
    private static Path resolved(Path target) throws IOException {
        Path p = target.toAbsolutePath();
        if (!Files.isSymbolicLink(p) || isSpecial(p)) {
            return p;
        }
        if (Files.exists(p)) {
            return p.toRealPath();
        }
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {         // a link to a file not made yet
            if (hops == 40) {
                throw new IOException("too many levels of symbolic links");
            }
            p = p.resolveSibling(Files.readSymbolicLink(p));
        }
        return p;
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
