package dev.convcl;

import java.nio.FloatBuffer;

/**
 * A dense tensor with a shape, row-major (NCHW for 4-D): either a {@link HostTensor} over Java
 * memory or a {@link DeviceTensor} in an engine's device memory. Plans take either in
 * {@link Args}; only device tensors avoid host-device copies on an OpenCL device.
 */
public sealed interface Tensor permits HostTensor, DeviceTensor {

    /** A copy of the shape. */
    int[] shape();

    /** Number of dimensions. */
    default int rank() {
        return shape().length;
    }

    /** Size of dimension {@code i}. */
    int dim(int i);

    /** Element count, the product of the shape. */
    int size();

    /** The element type; {@link DataType#F32} today. */
    DataType dataType();

    /**
     * Wraps {@code data} (not copied) with the given shape.
     *
     * @throws IllegalArgumentException when the shape has a dimension below 1 or its product is not
     *                                  {@code data.length}
     */
    static HostTensor of(float[] data, int... shape) {
        return HostTensor.of(data, shape);
    }

    /**
     * Wraps the remaining elements of {@code buffer} (position to limit; not copied) with the given
     * shape.
     *
     * @throws IllegalArgumentException when the shape does not match the remaining elements
     */
    static HostTensor wrap(FloatBuffer buffer, int... shape) {
        return HostTensor.wrap(buffer, shape);
    }

    /**
     * A new zero-filled host tensor backed by a {@code float[]}.
     *
     * @throws IllegalArgumentException when the shape is invalid or too large for a Java array
     */
    static HostTensor zeros(int... shape) {
        return HostTensor.zeros(shape);
    }

    /**
     * A new zero-filled host tensor backed by a native-order direct buffer.
     *
     * @throws IllegalArgumentException when the shape is invalid or too large for a direct buffer
     */
    static HostTensor directZeros(int... shape) {
        return HostTensor.directZeros(shape);
    }
}
