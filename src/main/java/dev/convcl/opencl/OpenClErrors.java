package dev.convcl.opencl;

import static org.jocl.CL.*;

import dev.convcl.DeviceException;
import org.jocl.CLException;

/** Maps OpenCL error codes to the {@link DeviceException.Kind} the engine acts on. */
final class OpenClErrors {
    private OpenClErrors() {
    }

    static DeviceException translate(String doing, CLException e) {
        int code = e.getStatus();
        DeviceException.Kind kind = switch (code) {
            case CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_RESOURCES, CL_OUT_OF_HOST_MEMORY,
                 CL_INVALID_BUFFER_SIZE -> DeviceException.Kind.OUT_OF_RESOURCES;
            case CL_BUILD_PROGRAM_FAILURE, CL_COMPILER_NOT_AVAILABLE, CL_INVALID_BUILD_OPTIONS,
                 CL_LINK_PROGRAM_FAILURE -> DeviceException.Kind.BUILD_FAILED;
            default -> DeviceException.Kind.DEVICE_ERROR;
        };
        return new DeviceException(kind, doing + " failed: " + stringFor_errorCode(code) + " (" + e.getMessage() + ")", e);
    }
}
