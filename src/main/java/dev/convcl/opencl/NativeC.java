package dev.convcl.opencl;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few C library calls convcl makes through JNA, on Linux only: the dynamic linker (to make the
 * OpenCL ICD loader loadable by the name JOCL asks for), the process environment (seen by native
 * code, unlike {@link System#getenv}) and signal dispositions (which an OpenCL driver may replace).
 *
 * @param c  getenv, setenv, sigaction (libc)
 * @param dl dlopen, dlclose, dlerror, dladdr (libc since glibc 2.34, libdl.so.2 before)
 */
record NativeC(LibC c, Dl dl) {
    /** {@code dlopen} flags; the same values on every Linux ABI JOCL ships for (x86-64, aarch64). */
    static final int RTLD_LAZY = 0x1;
    static final int RTLD_NOW = 0x2;
    static final int RTLD_NOLOAD = 0x4;

    /** libc functions (glibc prototypes). */
    interface LibC extends Library {
        String getenv(String name);

        int setenv(String name, String value, int overwrite);

        /** {@code act} and {@code oldact} point to a {@code struct sigaction}, or are null. */
        int sigaction(int signal, Pointer act, Pointer oldact);
    }

    /** Dynamic-linker functions (glibc prototypes). */
    interface Dl extends Library {
        Pointer dlopen(String file, int mode);

        int dlclose(Pointer handle);

        String dlerror();

        /** {@code info} points to a {@code Dl_info}: file name, base, symbol name, symbol address. */
        int dladdr(Pointer address, Pointer info);
    }

    /**
     * Binds the functions.
     *
     * @throws UnsupportedOperationException on anything but 64-bit Linux
     * @throws LinkageError (such as {@link UnsatisfiedLinkError}) when JNA or the C library cannot be loaded
     */
    static NativeC load() {
        if (!Platform.isLinux() || !Platform.is64Bit()) {
            throw new UnsupportedOperationException("native access is implemented for 64-bit Linux only");
        }
        LibC c = Native.load("c", LibC.class);
        String dlLibrary = "c";
        try {
            NativeLibrary.getInstance("c").getFunction("dlopen");
        } catch (UnsatisfiedLinkError e) {
            dlLibrary = "libdl.so.2"; // glibc before 2.34
        }
        Dl dl = Native.load(dlLibrary, Dl.class);
        // JNA looks a function up (dlsym) at its first call, which clears the dynamic linker's
        // pending error: call dlerror once now so that later it reports the dlopen just before.
        dl.dlerror();
        return new NativeC(c, dl);
    }

    /** The file of the loaded object that holds {@code address} (as the dynamic linker names it), or null. */
    String objectAt(long address) {
        if (address == 0) {
            return null;
        }
        try (com.sun.jna.Memory info = new com.sun.jna.Memory(4L * Native.POINTER_SIZE)) {
            info.clear();
            if (dl.dladdr(new Pointer(address), info) == 0) {
                return null;
            }
            Pointer name = info.getPointer(0);
            return name == null ? null : name.getString(0);
        }
    }
}
