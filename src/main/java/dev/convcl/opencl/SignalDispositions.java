package dev.convcl.opencl;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The process's signal dispositions as they were before the OpenCL driver was loaded, and the
 * means to put back the ones a driver replaced.
 *
 * <p>Why: the JVM handles SIGSEGV, SIGBUS, SIGFPE, SIGILL (implicit null checks, safepoint polls,
 * integer division by zero, stack banging), SIGQUIT (thread dumps), SIGHUP/SIGINT/SIGTERM
 * (shutdown hooks) and SIGUSR2 with handlers of its own. POCL 3.1 replaces SIGFPE's with one that
 * skips faulting divisions, so Java's {@code 1 / 0} returns the dividend. And whenever POCL's LLVM
 * first writes a file (POCL's start-up, unless {@code POCL_SIGFPE_HANDLER=0}; else the first
 * kernel compiled from source), LLVM replaces the handlers of about a dozen signals, SIGSEGV
 * included, with one installed {@code SA_RESETHAND}: the first SIGSEGV resets the disposition to
 * the default until LLVM's handler has put the JVM's back, so a second thread faulting in that
 * moment (safepoint polls fault in every thread running compiled code at once) kills the JVM
 * without an error report. {@link #restore()} puts back the disposition of every signal whose
 * handler now lies in a library that was not loaded at the snapshot, i.e. in the driver stack.
 * LLVM keeps believing its handlers are installed and does not install them again.
 *
 * <p>{@code struct sigaction} is kept opaque: glibc's is 152 bytes on x86-64 and aarch64 and
 * starts with the handler; {@value #SIGACTION_BYTES} bytes hold it with room to spare.
 */
final class SignalDispositions {
    private static final int SIGACTION_BYTES = 256;
    private static final int SIGKILL = 9;
    private static final int SIGSTOP = 19;
    private static final int LAST_STANDARD_SIGNAL = 31;

    private final NativeC nativeC;
    private final Memory[] saved = new Memory[LAST_STANDARD_SIGNAL + 1];
    /** Where {@link #restore()} reads the current dispositions: it runs after every program build, so allocates nothing. */
    private final Memory current = new Memory(SIGACTION_BYTES);
    private final Set<Path> loadedAtSnapshot;

    private SignalDispositions(NativeC nativeC, Set<Path> loadedAtSnapshot) {
        this.nativeC = nativeC;
        this.loadedAtSnapshot = loadedAtSnapshot;
    }

    /** Records every standard signal's disposition and the libraries loaded now. */
    static SignalDispositions snapshot(NativeC nativeC) {
        SignalDispositions s = new SignalDispositions(nativeC, mappedFiles());
        for (int sig = 1; sig <= LAST_STANDARD_SIGNAL; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) {
                s.saved[sig] = s.query(sig);
            }
        }
        return s;
    }

    /** A new copy of {@code sig}'s {@code struct sigaction}, or null when it cannot be read. */
    private Memory query(int sig) {
        Memory m = new Memory(SIGACTION_BYTES);
        if (!read(sig, m)) {
            m.close();
            return null;
        }
        return m;
    }

    private boolean read(int sig, Memory into) {
        into.clear();
        return nativeC.c().sigaction(sig, null, into) == 0;
    }

    /** The handler address in a {@code struct sigaction} (0 = SIG_DFL, 1 = SIG_IGN). */
    private static long handler(Pointer sigaction) {
        return sigaction.getLong(0);
    }

    /**
     * Puts back the snapshot's disposition of every signal whose handler now lies in a library
     * loaded after the snapshot. Handlers of the JVM or of libraries loaded before are left alone
     * (the application may have installed them since). Not thread-safe: {@link OpenClLibrary}
     * serialises the calls.
     *
     * @return the signals put back, each as {@code SIGSEGV (from libLLVM-15.so.1)}; empty when none
     */
    List<String> restore() {
        List<String> restored = new ArrayList<>();
        for (int sig = 1; sig <= LAST_STANDARD_SIGNAL; sig++) {
            Memory before = saved[sig];
            if (before == null || !read(sig, current) || handler(current) == handler(before)) {
                continue;
            }
            Path owner = owner(handler(current));
            if (owner == null || loadedAtSnapshot.contains(owner)) {
                continue;
            }
            if (nativeC.c().sigaction(sig, before, null) == 0) {
                restored.add(name(sig) + " (from " + owner.getFileName() + ")");
            }
        }
        return restored;
    }

    /** The library holding the handler at {@code address}, resolved to its real path; null for SIG_DFL/SIG_IGN or unknown. */
    private Path owner(long address) {
        if (address == 0 || address == 1) {
            return null;
        }
        String file = nativeC.objectAt(address);
        if (file == null || file.isEmpty()) {
            return null;
        }
        try {
            return Path.of(file).toRealPath();
        } catch (IOException | RuntimeException e) {
            return Path.of(file);
        }
    }

    /** The files mapped into the process now (from {@code /proc/self/maps}), by real path. */
    private static Set<Path> mappedFiles() {
        Set<String> names = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash > 0) {
                    names.add(line.substring(slash).trim());
                }
            }
        } catch (IOException e) {
            // without the list every changed handler counts as the driver's
        }
        Set<Path> files = new HashSet<>();
        for (String name : names) {
            try {
                files.add(Path.of(name).toRealPath());
            } catch (IOException | RuntimeException e) {
                // deleted or unreadable: cannot hold a handler we would need to judge
            }
        }
        return files;
    }

    static String name(int sig) {
        return switch (sig) {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 3 -> "SIGQUIT";
            case 4 -> "SIGILL";
            case 5 -> "SIGTRAP";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 8 -> "SIGFPE";
            case 10 -> "SIGUSR1";
            case 11 -> "SIGSEGV";
            case 12 -> "SIGUSR2";
            case 13 -> "SIGPIPE";
            case 15 -> "SIGTERM";
            case 24 -> "SIGXCPU";
            case 25 -> "SIGXFSZ";
            case 31 -> "SIGSYS";
            default -> "signal " + sig;
        };
    }
}
