package dev.convcl.opencl;

import static org.jocl.CL.*;

import dev.convcl.CacheDir;
import dev.convcl.DeviceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds each (kernel file, build options) once per context and keeps the program in memory;
 * keeps the device binary on disk too, keyed by device name, driver version, source and options,
 * so a later process skips the compiler. Every program's source starts with the prelude
 * ({@code opencl-kernels/prelude.h}, see {@link KernelSources}); the kernel files do not include it. The disk folder is {@link CacheDir#kernels()}
 * ({@code kernels/} under the cache root); a folder that cannot be written only costs the speed-up. A binary that no longer loads is rebuilt from source.
 *
 * <p>A binary on disk is never handed to the driver unchecked: the file holds a header
 * ({@link BinaryFile}) with the digest of its key and the SHA-256 of its bytes, and a file whose
 * key is another program's (copied or renamed), whose length or checksum does not match (cut short
 * by an interrupted copy, damaged) is named in a WARN, rebuilt from source and replaced. Drivers
 * take a binary on trust: POCL crashed the process on a binary cut in half, and ran another
 * program's binary, built with other options, giving wrong results.
 *
 * <p>Writing a binary is not free: the driver must produce it ({@code CL_PROGRAM_BINARIES}), and
 * POCL compiles every kernel of the program for it, apart from the code it compiles for the
 * work-group size of a kernel's first launch. A cold build of one GEMM tile on POCL took 0.15-0.56 s
 * to build and 0.5-3.6 s more to hand over its binary (docs/performance-notes.md). Code that builds
 * many programs it will mostly throw away (the {@link Tuner}'s candidates) therefore
 * {@linkplain #deferSaves defers} the writes: a program built meanwhile is written to disk only
 * when it is asked for again outside such a scope (the tuning's winner, by the plan that runs it).
 */
public final class ProgramCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProgramCache.class);

    private final OpenClContext owner;
    private final Map<String, cl_program> programs = new ConcurrentHashMap<>();
    /** Kernel folders already warned of as impossible to make, so a process says it once a folder. */
    private static final Set<String> BLOCKED_WARNED = ConcurrentHashMap.newKeySet();
    private final Path diskDir;
    /** Test seam ({@link #shareBuildsBy}); null: every (file, options) is built. */
    private volatile BiFunction<String, String, String> shareKey;
    private final Map<String, cl_program> sharedBuilds = new ConcurrentHashMap<>();
    /** Programs built from source while their thread deferred saves, not yet on disk: key -> where the binary goes. */
    private final Map<String, BinaryTarget> unsaved = new ConcurrentHashMap<>();
    /** How many {@link #deferSaves} scopes are open on each thread. */
    private final ThreadLocal<int[]> deferring = ThreadLocal.withInitial(() -> new int[1]);

    ProgramCache(OpenClContext owner) {
        this.owner = owner;
        this.diskDir = CacheDir.kernels();
    }

    /** Number of programs built or loaded in this context. */
    public int size() {
        return programs.size();
    }

    /**
     * Creates a kernel from {@code file} (a {@code .cl} in {@code opencl-kernels/}) built with
     * {@code options}. The caller owns the kernel and closes it.
     */
    public OpenClKernel kernel(String file, String options, String kernelName) {
        cl_program program = program(file, options);
        try {
            cl_kernel k = clCreateKernel(program, kernelName, null);
            return new OpenClKernel(owner, kernelName, k);
        } catch (CLException e) {
            throw new DeviceException(DeviceException.Kind.BUILD_FAILED, "creating kernel '" + kernelName
                    + "' from " + file + " [" + options + "] failed: " + stringFor_errorCode(e.getStatus()), e);
        }
    }

    /**
     * A scope, on the calling thread, in which programs built from source are kept in memory but
     * not written to disk (see the class comment): one of them is written when a later request for
     * it comes from outside any such scope. Scopes nest; close the returned handle (try-with-resources)
     * to end this one. Other threads are not affected.
     */
    public SaveDeferral deferSaves() {
        deferring.get()[0]++;
        return new SaveDeferral();
    }

    /** Ends a {@link #deferSaves} scope when closed; closing it again does nothing. */
    public final class SaveDeferral implements AutoCloseable {
        private final Thread thread = Thread.currentThread();
        private boolean closed;

        private SaveDeferral() {
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (Thread.currentThread() != thread) {
                throw new IllegalStateException("a save deferral is closed on the thread that opened it ("
                        + thread.getName() + "), not on " + Thread.currentThread().getName());
            }
            closed = true;
            deferring.get()[0]--;
        }
    }

    private boolean savesDeferred() {
        return deferring.get()[0] > 0;
    }

    /** Programs built while saves were deferred whose binaries are not on disk yet (for tests). */
    int unsavedCount() {
        return unsaved.size();
    }

    /** The program for (file, options), built at most once per context. */
    public cl_program program(String file, String options) {
        String key = file + "\n" + options;
        cl_program p = programs.get(key);
        if (p != null) {
            return found(key, p);
        }
        synchronized (this) {
            p = programs.get(key);
            if (p != null) {
                return found(key, p);
            }
            BiFunction<String, String, String> share = shareKey;
            String shared = share == null ? null : file + "\n" + share.apply(file, options);
            p = shared == null ? null : sharedBuilds.get(shared);
            if (p != null) {
                return p; // not in programs: close() releases each build once, buildLogs() lists builds
            }
            Built built;
            try {
                built = build(file, options);
            } finally {
                OpenClLibrary.restoreSignalHandlers(); // LLVM installs its own on its first compile
            }
            p = built.program();
            if (built.toSave() != null && savesDeferred()) {
                // pending before it is visible, so a caller outside any scope that finds it writes it
                unsaved.put(key, built.toSave());
                programs.put(key, p);
            } else {
                programs.put(key, p);
                if (built.toSave() != null) {
                    saveBinary(p, built.toSave());
                }
            }
            if (shared != null) {
                sharedBuilds.put(shared, p);
            }
            return p;
        }
    }

    /** A program found in memory: written to disk first when it is pending and the caller defers nothing. */
    private cl_program found(String key, cl_program p) {
        if (!unsaved.isEmpty() && !savesDeferred()) {
            BinaryTarget target = unsaved.remove(key); // at most one caller gets it, so it is written once
            if (target != null) {
                saveBinary(p, target);
            }
        }
        return p;
    }

    /**
     * Test seam for checks that visit many configurations (KernelBuildCheck): from now on, a
     * request whose {@code key(file, options)} equals that of a program already built gets that
     * program instead of a build of its own. Only for configurations whose kernels are never
     * launched: their compile-time constants may differ.
     */
    void shareBuildsBy(BiFunction<String, String, String> key) {
        shareKey = key;
    }

    /** The kernel files with a program in this cache: tests check every file in opencl-kernels/ gets built. */
    Set<String> files() {
        Set<String> files = new TreeSet<>();
        for (String key : programs.keySet()) {
            files.add(key.substring(0, key.indexOf('\n')));
        }
        return files;
    }

    /** Builds from source a program whose build failed only on the compiler's own files, at most this many times. */
    static final int BUILD_ATTEMPTS = 8;

    private static final Pattern LOST_OWN_FILE = Pattern.compile(
            "unable to (?:rename temporary|open output file|make temporary file)");

    /**
     * Whether a failed build's log says the compiler lost a file of its own rather than rejecting
     * the source; such a build is run again, a diagnostic about the source never is. The cause
     * seen with POCL 3.1 (Debian 12, its LLVM in this process): clang writes its preprocessed
     * output to a temporary file that LLVM registers for removal "on a signal", and during the
     * process's first compile from source LLVM's handlers sit in front of the JVM's (they are put
     * back after each build: {@link SignalDispositions}). Another Java thread that takes one of the
     * JVM's routine SIGSEGVs (safepoint polls, implicit null checks) while that build runs makes
     * LLVM's handler remove the file, and LLVM installs its handlers again for the next attempt.
     * Clang's rename then fails with a log such as {@code error: <invalid loc>: unable to rename
     * temporary '.../tempfile_X.preproc-16ef.cl.tmp' to output file '.../tempfile_X.preproc.cl':
     * 'No such file or directory'} (strace: the unlink came from the thread taking the
     * SIGSEGVs). On a fresh POCL cache {@code convcl bench --filter drn.conv4} lost a build (the
     * weight packer's or the GEMM kernel's) that way in most runs (2026-12-03), at times twice in
     * a row, and without a retry the layer fell back to the direct kernel, 60x slower.
     */
    static boolean compilerLostItsOwnFile(String log) {
        return lostFilePhrase(log) != null;
    }

    /** The phrase of {@code log} that says the compiler lost a file of its own, or null. */
    private static String lostFilePhrase(String log) {
        Matcher m = log == null ? null : LOST_OWN_FILE.matcher(log);
        return m != null && m.find() ? m.group() : null;
    }

    private Built build(String file, String options) {
        OpenClDeviceInfo info = owner.info();
        try {
            owner.injectFault(OpenClContext.FaultSite.BUILD, file);
        } catch (CLException e) {
            throw new DeviceException(DeviceException.Kind.BUILD_FAILED, "building " + file + " with options ["
                    + options + "] for " + info.describe() + " failed: " + e.getMessage(), e);
        }
        String source = KernelSources.load(file);
        String digest = sha256(info.name() + "\n" + info.platformName() + "\n" + info.driverVersion() + "\n"
                + options + "\n" + source);
        Path binaryPath = diskDir.resolve(file.replace(".cl", "") + "-" + digest.substring(0, 32) + BinaryFile.EXTENSION);
        cl_program fromDisk = loadBinary(binaryPath, options, HexFormat.of().parseHex(digest));
        if (fromDisk != null) {
            return new Built(fromDisk, null);
        }
        cl_program program;
        for (int attempt = 1; ; attempt++) {
            program = clCreateProgramWithSource(owner.context(), 1, new String[] {source}, null, null);
            String injected = owner.injectedLostFileLog(file);
            try {
                if (injected != null) {
                    throw new CLException("injected lost file", CL_BUILD_PROGRAM_FAILURE);
                }
                clBuildProgram(program, 1, new cl_device_id[] {info.device()}, options, null, null);
                break;
            } catch (CLException e) {
                String log = injected != null ? injected : buildLog(program);
                clReleaseProgram(program);
                String lost = lostFilePhrase(log);
                if (attempt < BUILD_ATTEMPTS && lost != null) {
                    LOG.info("building {} [{}]: the compiler lost its own temporary file ({}...), not a fault of the"
                            + " source; building it again (attempt {} of {})", file, options, lost, attempt + 1,
                            BUILD_ATTEMPTS);
                    continue;
                }
                throw new DeviceException(DeviceException.Kind.BUILD_FAILED, "building " + file + " with options ["
                        + options + "] for " + info.describe() + " failed: " + stringFor_errorCode(e.getStatus())
                        + "\n--- build log ---\n" + log, e);
            }
        }
        // A successful build may still have a log (compiler warnings, remarks): it is for
        // whoever debugs the kernels, never for the user's console.
        if (LOG.isDebugEnabled()) {
            String log = buildLog(program);
            if (!log.isEmpty()) {
                LOG.debug("built {} with options [{}] for {}; build log:\n{}", file, options, info.describe(), log);
            }
        }
        return new Built(program, new BinaryTarget(binaryPath, HexFormat.of().parseHex(digest)));
    }

    /**
     * The build log of every program in this cache, keyed by {@code "file [options]"}: empty for a
     * clean build from source and for a binary loaded from disk. For tests and diagnostics.
     */
    Map<String, String> buildLogs() {
        Map<String, String> logs = new TreeMap<>();
        for (Map.Entry<String, cl_program> e : programs.entrySet()) {
            String key = e.getKey();
            int nl = key.indexOf('\n');
            logs.put(key.substring(0, nl) + " [" + key.substring(nl + 1) + "]", buildLog(e.getValue()));
        }
        return logs;
    }

    /** A program and where its binary goes: null when it was loaded from there. */
    private record Built(cl_program program, BinaryTarget toSave) {
    }

    /** A binary's file and the digest of its key (device, platform, driver, options, source), which the file records. */
    private record BinaryTarget(Path path, byte[] keyDigest) {
    }

    private cl_program loadBinary(Path path, String options, byte[] keyDigest) {
        if (!Files.isRegularFile(path)) {
            return null;
        }
        try {
            byte[] file = Files.readAllBytes(path);
            BinaryFile.Check check = BinaryFile.check(file, keyDigest);
            if (check.problem() != null) {
                // removed at once, so the next process does not find it again whether or not this
                // one writes its own binary there (a tuner's candidate never does)
                String removed;
                try {
                    Files.deleteIfExists(path);
                    removed = "removed; the program is built from source";
                } catch (IOException e) {
                    removed = "it cannot be removed (" + e + "), so every process builds the program from source;"
                            + " delete the file";
                }
                if (check.warn()) {
                    LOG.warn("kernel binary {} {}: {}", path, check.problem(), removed);
                } else {
                    LOG.debug("kernel binary {} {}: {}", path, check.problem(), removed);
                }
                return null;
            }
            byte[] binary = check.payload();
            int[] status = new int[1];
            cl_program p = clCreateProgramWithBinary(owner.context(), 1, new cl_device_id[] {owner.info().device()},
                    new long[] {binary.length}, new byte[][] {binary}, status, null);
            try {
                clBuildProgram(p, 1, new cl_device_id[] {owner.info().device()}, options, null, null);
            } catch (CLException e) {
                clReleaseProgram(p);
                throw e;
            }
            LOG.debug("loaded kernel binary {}", path);
            return p;
        } catch (IOException | CLException e) {
            LOG.debug("kernel binary {} not usable ({}); building from source", path, e.getMessage());
            return null;
        }
    }

    private void saveBinary(cl_program program, BinaryTarget target) {
        Path path = target.path();
        try {
            long[] size = new long[1];
            clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null);
            if (size[0] <= 0) {
                return;
            }
            byte[] binary = new byte[(int) size[0]];
            Pointer binaries = Pointer.to(new Pointer[] {Pointer.to(binary)});
            clGetProgramInfo(program, CL_PROGRAM_BINARIES, Sizeof.POINTER, binaries, null);
            Files.createDirectories(path.getParent());
            Path tmp = Files.createTempFile(path.getParent(), "convcl", ".tmp");
            Files.write(tmp, BinaryFile.wrap(binary, target.keyDigest()));
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | CLException | UnsupportedOperationException e) {
            Optional<String> blocked = e instanceof IOException ? CacheDir.blocked(path.getParent()) : Optional.empty();
            if (blocked.isEmpty() && e instanceof IOException && !Files.isDirectory(path.getParent())) {
                // a folder that cannot be made (a root under /proc, a read-only file system)
                String reason = e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                        ? ": " + f.getReason() : "";
                blocked = Optional.of("the folder " + path.getParent().toAbsolutePath() + " cannot be made" + reason
                        + " (the cache root " + CacheDir.root().toAbsolutePath() + ", from " + CacheDir.rootSource() + ")");
            }
            if (blocked.isPresent() && BLOCKED_WARNED.add(path.getParent().toAbsolutePath().toString())) {
                // a mistyped cache root: say so once, since every process then compiles every kernel again
                LOG.warn("kernel binaries are not kept on disk: {}; kernels are compiled again in every process",
                        blocked.get());
            } else if (blocked.isEmpty()) {
                LOG.debug("kernel binary not saved to {} ({})", path, e.toString());
            }
        }
    }

    private String buildLog(cl_program program) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(program, owner.info().device(), CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) size[0]];
            clGetProgramBuildInfo(program, owner.info().device(), CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            return new String(log, StandardCharsets.UTF_8).trim();
        } catch (CLException e) {
            return "(build log unavailable: " + e.getMessage() + ")";
        }
    }

    private static String sha256(String s) {
        return HexFormat.of().formatHex(BinaryFile.sha256(s.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The driver's reference count of each cached program ({@code CL_PROGRAM_REFERENCE_COUNT}),
     * keyed {@code file [options]}: 1 plus one per live kernel made from it.
     */
    Map<String, Integer> referenceCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        programs.forEach((key, program) -> {
            int[] count = new int[1];
            clGetProgramInfo(program, CL_PROGRAM_REFERENCE_COUNT, Sizeof.cl_uint, Pointer.to(count), null);
            counts.put(key.replace("\n", " [") + "]", count[0]);
        });
        return counts;
    }

    @Override
    public void close() {
        for (cl_program p : programs.values()) {
            try {
                clReleaseProgram(p);
            } catch (CLException ignored) {
                // closing is quiet
            }
        }
        programs.clear();
        sharedBuilds.clear();
        unsaved.clear(); // what was never asked for again is not written
    }

    /**
     * Reads kernel sources from the classpath ({@code kernels/NAME}, packaged from opencl-kernels/):
     * a program's source is the prelude ({@value #PRELUDE}: the {@code real} type, vectors, the
     * activation macro, the epilogue, the bilinear sampling rule) followed by the kernel file, with
     * the text of each {@code #include "NAME"} line put in its place (headers live in the same
     * folder), and {@code #line} markers so that compiler messages still name the right file and
     * line. The program therefore needs no include path, and the cache keys (the source is part of
     * the disk key) cover the prelude.
     */
    static final class KernelSources {
        /** The header in front of every kernel. */
        static final String PRELUDE = "prelude.h";
        private static final Map<String, String> SOURCES = new ConcurrentHashMap<>();
        private static final Pattern INCLUDE = Pattern.compile("^[ \\t]*#[ \\t]*include[ \\t]+\"([^\"]+)\".*$");
        /** Deeper nesting than this is a cycle. */
        private static final int MAX_DEPTH = 8;

        private KernelSources() {
        }

        /** The whole source of a program built from {@code file}: the prelude, then the file. */
        static String load(String file) {
            return SOURCES.computeIfAbsent(file, f -> "#line 1 \"" + PRELUDE + "\"\n" + expand(PRELUDE, 0)
                    + "\n#line 1 \"" + f + "\"\n" + expand(f, 0));
        }

        private static String expand(String file, int depth) {
            if (depth > MAX_DEPTH) {
                throw new DeviceException(DeviceException.Kind.BUILD_FAILED, "kernels/" + file
                        + ": #include nested more than " + MAX_DEPTH + " deep (a cycle?)");
            }
            String[] lines = read(file).split("\n", -1);
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < lines.length; i++) {
                Matcher m = INCLUDE.matcher(lines[i]);
                if (m.matches()) {
                    out.append("#line 1 \"").append(m.group(1)).append("\"\n");
                    out.append(expand(m.group(1), depth + 1));
                    out.append("\n#line ").append(i + 2).append(" \"").append(file).append("\"\n");
                } else {
                    out.append(lines[i]);
                    if (i < lines.length - 1) {
                        out.append('\n');
                    }
                }
            }
            return out.toString();
        }

        private static String read(String file) {
            try (InputStream in = ProgramCache.class.getResourceAsStream("/kernels/" + file)) {
                if (in == null) {
                    throw new DeviceException(DeviceException.Kind.BUILD_FAILED, "kernel source kernels/" + file
                            + " is not on the classpath");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new DeviceException(DeviceException.Kind.BUILD_FAILED, "reading kernels/" + file + ": " + e, e);
            }
        }
    }
}
