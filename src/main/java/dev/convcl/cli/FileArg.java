package dev.convcl.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A file (or folder) named on the command line: its role in the command ("input", "shapes file",
 * "JSON report", ...), the flag that named it and its path. Every error about it is an
 * {@link IllegalArgumentException} (exit 2) whose message names all three and the rule, e.g.
 * {@code input data/ (--input): is a folder; --input takes a .npy file}.
 *
 * @param role what the file is to the command, in words
 * @param flag the option that named it, e.g. {@code --input}
 * @param path the path as given
 * @param text the path as the user typed it, for messages: {@link Path} drops a trailing '/'
 *             ({@code o/} is {@code o}), which names a folder
 */
record FileArg(String role, String flag, Path path, String text) {

    /** A file named in code or by a setting, its text the path's. */
    FileArg(String role, String flag, Path path) {
        this(role, flag, path, path.toString());
    }

    /** The file the user typed as {@code text}, named so in every message. */
    static FileArg typed(String role, String flag, String text) {
        return new FileArg(role, flag, Path.of(text), text);
    }

    /** Whether the text ends with a folder separator: it names a folder, never a file ({@code o/}). */
    private boolean namesFolder() {
        return text.endsWith("/") || text.endsWith(java.io.File.separator);
    }

    /** Reads a file's content; may throw what reading throws. */
    @FunctionalInterface
    interface Reader<T> {
        T read(Path file) throws IOException;
    }

    /** An error about this file: its role, path and flag, then {@code problem}. */
    IllegalArgumentException error(String problem) {
        return new IllegalArgumentException(this + ": " + problem);
    }

    /**
     * Reads the file with {@code reader}. A folder, a missing or unreadable file, a malformed
     * {@code .npy} file or any other I/O failure becomes {@link #error}.
     */
    <T> T read(Reader<T> reader) {
        if (path.toString().isEmpty()) { // Path.of("") is the current folder
            throw error("is empty; " + flag + " takes a file");
        }
        if (Files.isDirectory(path)) {
            throw error("is a folder; " + flag + " takes a file");
        }
        if (namesFolder()) { // read as the file without the '/' otherwise
            throw error("ends with '/', which names a folder; " + flag + " takes a file");
        }
        try {
            return reader.read(path);
        } catch (Npy.NpyFormatException e) {
            throw error(e.problem());
        } catch (IOException e) {
            throw error(problem(e));
        }
    }

    /** Checks, before any work, that the file can be written: its folder exists and is writable, and it is no folder. */
    void checkWritable() {
        String problem = AtomicFiles.writeProblem(path);
        if (problem != null) {
            throw error(problem);
        }
        if (namesFolder()) { // written as the file without the '/' otherwise: o/ wrote a file o
            throw error("ends with '/', which names a folder; a file name is needed");
        }
    }

    /**
     * Checks, before any work, that files can be created in this folder: it is a writable folder,
     * or it does not exist yet and its nearest existing parent is one. Permissions do not tell
     * everything (root may "write" {@code /proc} or {@code /sys}), so a file is written in it and
     * deleted; a folder that did not exist is created for that and, when the probe fails, removed
     * again (the command would create it after its work anyway).
     *
     * @return the folders this call created, innermost first (none when the folder existed), for
     *         {@link #removeIfEmpty} when the command fails before writing into them
     */
    List<Path> checkFolderWritable() {
        if (path.toString().isEmpty()) {
            throw error("is empty; " + flag + " takes a folder");
        }
        Path abs = path.toAbsolutePath().normalize();
        boolean existed = Files.exists(abs);
        if (existed) {
            if (!Files.isDirectory(abs)) {
                throw error((Files.isRegularFile(abs) ? "is a file; " : "is not a folder; ") + flag + " takes a folder");
            }
            if (!Files.isWritable(abs)) {
                throw error("is not writable");
            }
        }
        Path parent = abs.getParent();
        while (!existed && parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (!existed && parent != null && (!Files.isDirectory(parent) || !Files.isWritable(parent))) {
            // a regular file is named as one; a device (/dev/null), a pipe or a socket is no folder either
            throw error("cannot be created: " + Typed.shown(asTyped(parent).toString()) + (Files.isDirectory(parent)
                    ? " is not writable" : Files.isRegularFile(parent) ? " is a file" : " is not a folder"));
        }
        // the folders made here, innermost first, up to the parent that was there
        List<Path> created = new ArrayList<>();
        for (Path p = abs; !existed && p != null && !p.equals(parent); p = p.getParent()) {
            created.add(p);
        }
        String why;
        try {
            Files.createDirectories(abs);
            Files.delete(Files.createTempFile(abs, ".convcl-probe", ".tmp"));
            return List.copyOf(created);
        } catch (IOException e) {
            why = problem(e);
        } catch (UnsupportedOperationException | SecurityException e) {
            why = e.getMessage();
        }
        removeIfEmpty(created);
        throw error((existed ? "cannot be written (" : "cannot be created or written (") + why + ")");
    }

    /**
     * The folder {@code above} (absolute, normalized: a folder above this path) as the user typed
     * it, as an output file's folder is named ({@code f}, not {@code /home/me/f}, for
     * {@code --dir f/tuning}): the part of the typed path that leads to it; {@code above} itself
     * when no part does.
     */
    private Path asTyped(Path above) {
        for (Path p = Path.of(text).getParent(); p != null; p = p.getParent()) {
            if (p.toAbsolutePath().normalize().equals(above)) {
                return p;
            }
        }
        return above;
    }

    /**
     * Removes the folders {@link #checkFolderWritable} created, innermost first, each only while
     * it is empty: the first that holds anything (or cannot be removed) is left with those above it.
     */
    static void removeIfEmpty(List<Path> created) {
        for (Path p : created) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException | SecurityException e) {
                return; // not empty or not ours: leave it
            }
        }
    }

    /** Writes the file all at once or not at all ({@link AtomicFiles}); a failure becomes {@link #error}. */
    void write(AtomicFiles.Content content) {
        checkWritable();
        try {
            AtomicFiles.write(path, content);
        } catch (IOException e) {
            throw error("could not be written: " + problem(e));
        }
    }

    /** The role, path as typed and flag: {@code input x.npy (--input)}. */
    @Override
    public String toString() {
        return role + " " + Typed.shown(text) + " (" + flag + ")";
    }

    /** What went wrong, in words, without the path (the caller names the file). */
    static String problem(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
