package dev.convcl.opencl;

import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * What one OpenCL device reports about itself, read once at discovery.
 *
 * @param index          position in the discovery order (the N of {@code opencl:N})
 * @param platformName   e.g. {@code Portable Computing Language}
 * @param name           device name
 * @param vendor         device vendor
 * @param type           {@code GPU}, {@code CPU}, {@code ACCELERATOR} or {@code OTHER}
 * @param driverVersion  {@code CL_DRIVER_VERSION}
 * @param version        {@code CL_DEVICE_VERSION}
 * @param openclCVersion {@code CL_DEVICE_OPENCL_C_VERSION}
 * @param computeUnits   {@code CL_DEVICE_MAX_COMPUTE_UNITS}
 * @param clockMhz       {@code CL_DEVICE_MAX_CLOCK_FREQUENCY}
 * @param globalMemBytes {@code CL_DEVICE_GLOBAL_MEM_SIZE}
 * @param localMemBytes  {@code CL_DEVICE_LOCAL_MEM_SIZE}
 * @param maxAllocBytes  {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}
 * @param maxWorkGroup   {@code CL_DEVICE_MAX_WORK_GROUP_SIZE}
 * @param fp16           whether {@code cl_khr_fp16} is advertised
 * @param fp64           whether {@code cl_khr_fp64} is advertised
 * @param nativeVectorWidthFloat    {@code CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT}: floats in one of the
 *                                  device's vector registers (16 on an AVX-512 CPU, 8 on AVX2, often
 *                                  1 on a GPU); 0 when unknown
 * @param preferredVectorWidthFloat {@code CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT}: the width the
 *                                  driver prefers kernels to use; 0 when unknown
 * @param platform       the platform handle
 * @param device         the device handle
 */
public record OpenClDeviceInfo(int index, String platformName, String name, String vendor, String type,
                               String driverVersion, String version, String openclCVersion, int computeUnits,
                               int clockMhz, long globalMemBytes, long localMemBytes, long maxAllocBytes,
                               long maxWorkGroup, boolean fp16, boolean fp64, int nativeVectorWidthFloat,
                               int preferredVectorWidthFloat, cl_platform_id platform, cl_device_id device) {

    /** Preference of a device type for {@code auto}: GPU, then accelerator, then CPU. */
    int typeRank() {
        return switch (type) {
            case "GPU" -> 0;
            case "ACCELERATOR" -> 1;
            case "CPU" -> 2;
            default -> 3;
        };
    }

    public boolean isCpu() {
        return "CPU".equals(type);
    }

    public boolean isGpu() {
        return "GPU".equals(type);
    }

    /** {@code opencl:0 pthread-skylake (CPU, Portable Computing Language, driver 3.1)}. */
    public String describe() {
        return "opencl:" + index + " " + name + " (" + type + ", " + platformName + ", driver " + driverVersion + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
