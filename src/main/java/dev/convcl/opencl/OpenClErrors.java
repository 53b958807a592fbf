package dev.convcl.opencl;

import static org.jocl.CL.*;

import dev.convcl.spi.BackendException;
import org.jocl.CLException;

/** Maps OpenCL error codes to the {@link BackendException.Kind} the engine acts on. */
final class OpenClErrors {
    private OpenClErrors() {
    }

    static BackendException translate(String doing, CLException e) {
        int code = e.getStatus();
        BackendException.Kind kind = switch (code) {
            case CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_RESOURCES, CL_OUT_OF_HOST_MEMORY,
                 CL_INVALID_BUFFER_SIZE -> BackendException.Kind.OUT_OF_RESOURCES;
            case CL_BUILD_PROGRAM_FAILURE, CL_COMPILER_NOT_AVAILABLE, CL_INVALID_BUILD_OPTIONS,
                 CL_LINK_PROGRAM_FAILURE -> BackendException.Kind.BUILD_FAILED;
            default -> BackendException.Kind.DEVICE_ERROR;
        };
        return new BackendException(kind, doing + " failed: " + stringFor_errorCode(code) + " (" + e.getMessage() + ")", e);
    }
}
