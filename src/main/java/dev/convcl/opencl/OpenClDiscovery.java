package dev.convcl.opencl;

import static org.jocl.CL.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Lists the OpenCL platforms and devices. Never throws: a missing ICD loader, a JNI library that
 * will not load, zero platforms or zero devices all yield an empty list with the reason, because
 * "no OpenCL here" is a normal state in which the library runs on the CPU path.
 *
 * @param devices     every device of every platform, in platform order
 * @param unavailable why the list is empty (null when it is not)
 */
public record OpenClDiscovery(List<OpenClDeviceInfo> devices, String unavailable) {

    /**
     * Queries the platforms now. The first call prepares the process for the driver (see
     * {@link OpenClLibrary}): without an ICD loader, JOCL is not touched and the reason names what
     * to install; a driver that breaks the JVM's integer division and cannot be undone is refused.
     *
     * <p>One discovery at a time: threads that each made their first {@code Engine.create()} at
     * once crashed the JVM (SIGSEGV in POCL under {@code clGetDeviceInfo}, the driver's first
     * initialisation racing another thread's queries).
     */
    public static synchronized OpenClDiscovery discover() {
        String notReady = OpenClLibrary.prepare();
        if (notReady != null) {
            return new OpenClDiscovery(List.of(), notReady);
        }
        OpenClDiscovery found = query();
        String broken = OpenClLibrary.afterDriverCall();
        return broken == null ? found : new OpenClDiscovery(List.of(), broken);
    }

    private static OpenClDiscovery query() {
        try {
            CL.setExceptionsEnabled(true);
            int[] count = new int[1];
            try {
                clGetPlatformIDs(0, null, count);
            } catch (org.jocl.CLException e) {
                // The ICD loader answers CL_PLATFORM_NOT_FOUND_KHR when no .icd file is found.
                return new OpenClDiscovery(List.of(), "no OpenCL platform found (" + e.getMessage() + ")");
            }
            if (count[0] == 0) {
                return new OpenClDiscovery(List.of(), "no OpenCL platform found (the ICD loader lists none)");
            }
            cl_platform_id[] platforms = new cl_platform_id[count[0]];
            clGetPlatformIDs(platforms.length, platforms, null);
            List<OpenClDeviceInfo> devices = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            for (cl_platform_id p : platforms) {
                String platformName = platformString(p, CL_PLATFORM_NAME);
                int[] nd = new int[1];
                try {
                    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, nd);
                } catch (org.jocl.CLException e) {
                    skipped.add(platformName + ": " + e.getMessage());
                    continue;
                }
                cl_device_id[] ids = new cl_device_id[nd[0]];
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
                for (cl_device_id d : ids) {
                    devices.add(read(devices.size(), p, platformName, d));
                }
            }
            if (devices.isEmpty()) {
                return new OpenClDiscovery(List.of(), "OpenCL platforms found but no devices" +
                        (skipped.isEmpty() ? "" : " (" + String.join("; ", skipped) + ")"));
            }
            return new OpenClDiscovery(List.copyOf(devices), null);
        } catch (LinkageError e) {
            return new OpenClDiscovery(List.of(), "the OpenCL library could not be loaded (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            return new OpenClDiscovery(List.of(), "OpenCL discovery failed (" + e + ")");
        }
    }

    /** The device {@code auto} picks: GPU, then accelerator, then CPU; ties go to the first listed. */
    public Optional<OpenClDeviceInfo> best() {
        return devices.stream().min(Comparator.comparingInt(OpenClDeviceInfo::typeRank)
                .thenComparingInt(OpenClDeviceInfo::index));
    }

    public boolean available() {
        return !devices.isEmpty();
    }

    private static OpenClDeviceInfo read(int index, cl_platform_id p, String platformName, cl_device_id d) {
        long type = deviceLong(d, CL_DEVICE_TYPE);
        String typeName = (type & CL_DEVICE_TYPE_GPU) != 0 ? "GPU"
                : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "ACCELERATOR"
                : (type & CL_DEVICE_TYPE_CPU) != 0 ? "CPU" : "OTHER";
        String extensions = deviceString(d, CL_DEVICE_EXTENSIONS);
        return new OpenClDeviceInfo(index, platformName, deviceString(d, CL_DEVICE_NAME).trim(),
                deviceString(d, CL_DEVICE_VENDOR).trim(), typeName, deviceString(d, CL_DRIVER_VERSION).trim(),
                deviceString(d, CL_DEVICE_VERSION).trim(), deviceString(d, CL_DEVICE_OPENCL_C_VERSION).trim(),
                deviceInt(d, CL_DEVICE_MAX_COMPUTE_UNITS), deviceInt(d, CL_DEVICE_MAX_CLOCK_FREQUENCY),
                deviceLong(d, CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(d, CL_DEVICE_LOCAL_MEM_SIZE),
                deviceLong(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE), deviceSize(d, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                extensions.contains("cl_khr_fp16"), extensions.contains("cl_khr_fp64"),
                deviceInt(d, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT), deviceInt(d, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT),
                p, d);
    }

    static String platformString(cl_platform_id p, int param) {
        return infoString((size, value, sizeRet) -> clGetPlatformInfo(p, param, size, value, sizeRet));
    }

    static String deviceString(cl_device_id d, int param) {
        return infoString((size, value, sizeRet) -> clGetDeviceInfo(d, param, size, value, sizeRet));
    }

    /** One {@code clGet*Info} query of a fixed object and parameter: size, value, size returned. */
    @FunctionalInterface
    private interface InfoQuery {
        int get(long size, Pointer value, long[] sizeRet);
    }

    /** A string parameter: its size first, then its bytes. */
    private static String infoString(InfoQuery query) {
        long[] size = new long[1];
        query.get(0, null, size);
        byte[] buf = new byte[(int) size[0]];
        query.get(buf.length, Pointer.to(buf), null);
        return cString(buf);
    }

    static int deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_int, Pointer.to(v), null);
        return v[0];
    }

    static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_long, Pointer.to(v), null);
        return v[0];
    }

    static long deviceSize(cl_device_id d, int param) {
        ByteBuffer b = ByteBuffer.allocate(Sizeof.size_t).order(ByteOrder.nativeOrder());
        clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(b), null);
        return Sizeof.size_t == 8 ? b.getLong(0) : b.getInt(0);
    }

    private static String cString(byte[] buf) {
        int len = 0;
        while (len < buf.length && buf[len] != 0) {
            len++;
        }
        return new String(buf, 0, len, java.nio.charset.StandardCharsets.UTF_8);
    }
}
