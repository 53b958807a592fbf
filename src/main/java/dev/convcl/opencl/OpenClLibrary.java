package dev.convcl.opencl;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the process ready for an OpenCL driver before JOCL ({@code org.jocl.CL}) is first used.
 * Synchronized and cheap after the first call. On anything but 64-bit Linux, or when JNA cannot
 * load, it does nothing.
 *
 * <p>{@link #prepare()}, once per process, makes the ICD loader loadable by the name JOCL asks
 * for, {@code libOpenCL.so}: loads it, or else loads {@code libOpenCL.so.1} and the
 * {@link LoaderAlias} in front of it; when neither exists it says so and JOCL is never touched
 * (JOCL would print its failure on standard output, and its class would stay unusable).
 */
final class OpenClLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(OpenClLibrary.class);
    /** What to install when there is no ICD loader (the WARN names it). */
    static final String INSTALL_LOADER = "install an OpenCL ICD loader and a driver (Debian/Ubuntu: apt-get install "
            + "ocl-icd-libopencl1 pocl-opencl-icd, or your GPU vendor's OpenCL runtime)";

    private static boolean prepared;
    private static String unavailable;

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
            LOG.debug("no native access ({}): JOCL looks for libOpenCL.so itself", e.toString());
            return null;
        }
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
}
