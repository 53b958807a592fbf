package dev.convcl.opencl;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the process ready for an OpenCL driver before JOCL ({@code org.jocl.CL}) is first used,
 * and keeps the JVM intact after driver calls. Every entry is synchronized and cheap after the
 * first call. On anything but 64-bit Linux, or when JNA cannot load, only the division check of
 * {@link #afterDriverCall()} runs.
 *
 * <p>{@link #prepare()}, once per process:
 * <ol>
 *   <li>sets {@code POCL_SIGFPE_HANDLER=0} in the C environment when it is unset, so POCL does
 *       not install its SIGFPE handler (which breaks Java's integer division by zero);</li>
 *   <li>records the signal dispositions ({@link SignalDispositions});</li>
 *   <li>makes the ICD loader loadable by the name JOCL asks for, {@code libOpenCL.so}: loads it,
 *       or else loads {@code libOpenCL.so.1} and the {@link LoaderAlias} in front of it; when
 *       neither exists it says so and JOCL is never touched (JOCL would print its failure on
 *       standard output, and its class would stay unusable).</li>
 * </ol>
 * {@link #afterDriverCall()} (after discovery and context creation) puts back the signal handlers
 * the driver replaced, then checks that integer division by zero still throws;
 * {@link #restoreSignalHandlers()} (after each program build) does the first half.
 */
final class OpenClLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(OpenClLibrary.class);
    /** POCL's switch for its SIGFPE handler, read when POCL initialises. */
    static final String SIGFPE_VARIABLE = "POCL_SIGFPE_HANDLER";
    /** What to install when there is no ICD loader (the WARN names it). */
    static final String INSTALL_LOADER = "install an OpenCL ICD loader and a driver (Debian/Ubuntu: apt-get install "
            + "ocl-icd-libopencl1 pocl-opencl-icd, or your GPU vendor's OpenCL runtime)";

    private static boolean prepared;
    private static String unavailable;
    private static SignalDispositions dispositions;
    private static volatile int zero;

    private OpenClLibrary() {
    }

    /**
     * Runs the preparation once.
     *
     * @return null when JOCL may be used, else why OpenCL cannot be used here (for a WARN)
     */
    static synchronized String prepare() {
        if (prepared) {
            return unavailable;
        }
        prepared = true;
        NativeC nativeC;
        try {
            nativeC = NativeC.load();
        } catch (LinkageError | RuntimeException e) {
            LOG.debug("no native access ({}): JOCL looks for libOpenCL.so itself and signal handlers are not checked",
                    e.toString());
            return null;
        }
        if (nativeC.c().getenv(SIGFPE_VARIABLE) == null) {
            nativeC.c().setenv(SIGFPE_VARIABLE, "0", 0);
            LOG.debug("{}=0 set in the process environment", SIGFPE_VARIABLE);
        }
        dispositions = SignalDispositions.snapshot(nativeC);
        unavailable = loadIcdLoader(nativeC.dl());
        return unavailable;
    }

    /** Loads the ICD loader so that {@code dlopen("libOpenCL.so")} finds it; null on success, else why not. */
    private static String loadIcdLoader(NativeC.Dl dl) {
        if (dl.dlopen(LoaderAlias.NAME, NativeC.RTLD_LAZY) != null) {
            return null;
        }
        String unversioned = dl.dlerror();
        if (dl.dlopen(LoaderAlias.TARGET, NativeC.RTLD_LAZY) == null) {
            return "the OpenCL library could not be loaded: no ICD loader on this system (" + dl.dlerror() + "); "
                    + INSTALL_LOADER;
        }
        String fix = "; or install the development link " + LoaderAlias.NAME
                + " (Debian/Ubuntu: apt-get install ocl-icd-opencl-dev)";
        int machine = LoaderAlias.machine();
        if (machine < 0) {
            return "JOCL opens " + LoaderAlias.NAME + ", which this system lacks (" + unversioned + ")" + fix;
        }
        Path file = null;
        try {
            file = Files.createTempFile("convcl-", "-" + LoaderAlias.NAME,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(file, LoaderAlias.bytes(machine));
            Pointer alias = dl.dlopen(file.toString(), NativeC.RTLD_NOW);
            if (alias == null) {
                return "the OpenCL ICD loader " + LoaderAlias.TARGET + " could not be loaded under the name "
                        + LoaderAlias.NAME + " that JOCL opens (" + dl.dlerror() + ")" + fix;
            }
            Pointer check = dl.dlopen(LoaderAlias.NAME, NativeC.RTLD_LAZY | NativeC.RTLD_NOLOAD);
            if (check == null) {
                return "the OpenCL ICD loader " + LoaderAlias.TARGET + " was loaded, but the dynamic linker does not "
                        + "answer to " + LoaderAlias.NAME + fix;
            }
            dl.dlclose(check);
            LOG.debug("{} is missing; JOCL reaches {} through an alias named {}", LoaderAlias.NAME, LoaderAlias.TARGET,
                    LoaderAlias.NAME);
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            return "JOCL opens " + LoaderAlias.NAME + ", which this system lacks, and no alias could be written ("
                    + e.getMessage() + ")" + fix;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file); // the loaded object stays mapped
                } catch (IOException ignored) {
                    // a 432-byte file left in the temporary folder
                }
            }
        }
    }

    /**
     * After a call that may have loaded or run the driver's code (discovery, context creation):
     * puts back the signal handlers the driver replaced ({@link #restoreSignalHandlers()}), then
     * checks that Java's integer division by zero throws.
     *
     * @return null when the JVM is intact, else why this driver must not be used (for a WARN)
     */
    static synchronized String afterDriverCall() {
        restoreSignalHandlers();
        if (!integerDivisionByZeroThrows()) {
            return "the OpenCL driver replaced the JVM's SIGFPE handler, so Java's integer division by zero no longer "
                    + "throws ArithmeticException, and the JVM's handler could not be put back; start the JVM with "
                    + SIGFPE_VARIABLE + "=0 in its environment";
        }
        return null;
    }

    /**
     * Puts back the signal handlers the driver's libraries replaced since {@link #prepare()} (a
     * no-op without native access). Called after every program build too: LLVM installs its
     * handlers the first time it compiles.
     */
    static synchronized void restoreSignalHandlers() {
        if (dispositions != null) {
            List<String> restored = dispositions.restore();
            if (!restored.isEmpty()) {
                LOG.debug("the OpenCL driver had replaced the JVM's signal handlers; put back: {}", restored);
            }
        }
    }

    /** True when {@code 1 / 0} throws, as the JVM's SIGFPE handler makes it. */
    static boolean integerDivisionByZeroThrows() {
        int quotient;
        try {
            quotient = 1 / zero;
        } catch (ArithmeticException e) {
            return true;
        }
        LOG.debug("1 / 0 gave {} instead of throwing", quotient);
        return false;
    }
}
