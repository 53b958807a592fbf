package dev.convcl;

import java.nio.FloatBuffer;

/**
 * A dense tensor with a shape, row-major (NCHW for 4-D): either a {@link HostTensor} over Java
 * memory or a {@link DeviceTensor} in an engine's device memory. Plans take either in
 * {@link Args}; only device tensors avoid host-device copies on an OpenCL device. Every
 * dimension is at least 1 and the element count fits an {@code int}.
 *
 * <pre>{@code
 * HostTensor x = Tensor.of(pixels, 1, 3, 224, 224);     // wraps pixels (150528 floats)
 * HostTensor w = Tensor.zeros(conv.weightShape());      // a new zero-filled float[]
 * DeviceTensor d = engine.upload(x);                    // a copy on the engine's device
 * }</pre>
 */
public sealed interface Tensor permits HostTensor, DeviceTensor {

    /**
     * The shape, outermost dimension first ({@code [N, C, H, W]} for an image batch).
     *
     * @return a copy of the shape
     */
    int[] shape();

    /**
     * The number of dimensions.
     *
     * @return {@code shape().length}, at least 1
     */
    default int rank() {
        return shape().length;
    }

    /**
     * The size of one dimension.
     *
     * @param i the dimension, from 0 to {@code rank() - 1}
     * @return {@code shape()[i]}
     * @throws IndexOutOfBoundsException when {@code i} is not a dimension
     */
    default int dim(int i) {
        return shape()[i];
    }

    /**
     * The element count.
     *
     * @return the product of the shape
     */
    int size();

    /**
     * The element type.
     *
     * @return {@link DataType#F32} today
     */
    DataType dataType();

    /**
     * Wraps {@code data} (not copied) with the given shape: the tensor reads and writes the array.
     *
     * @param data  the elements, row-major
     * @param shape the dimensions, outermost first
     * @return a host tensor backed by {@code data}
     * @throws IllegalArgumentException when {@code data} is null, the shape is empty or has a
     *                                  dimension below 1, or its product is not {@code data.length}
     */
    static HostTensor of(float[] data, int... shape) {
        return HostTensor.of(data, shape);
    }

    /**
     * Wraps the remaining elements of {@code buffer} (position to limit; not copied) with the given
     * shape: element 0 is the buffer's current position. Later changes to the buffer's position or
     * limit do not affect the tensor.
     *
     * @param buffer the elements, row-major; any byte order, heap or direct, read-only for inputs
     *               only. On an OpenCL device a direct buffer in the native byte order
     *               ({@code .order(ByteOrder.nativeOrder())}) or a heap one is handed to the driver
     *               as is; any other (Java's default big-endian direct buffer, a view of a byte
     *               array, a read-only buffer) goes through a copy on each transfer
     * @param shape  the dimensions, outermost first
     * @return a host tensor backed by the buffer's contents
     * @throws IllegalArgumentException when {@code buffer} is null, the shape is invalid or does not
     *                                  match the remaining elements
     */
    static HostTensor wrap(FloatBuffer buffer, int... shape) {
        return HostTensor.wrap(buffer, shape);
    }

    /**
     * A new zero-filled host tensor backed by a {@code float[]}.
     *
     * @param shape the dimensions, outermost first
     * @return the tensor
     * @throws IllegalArgumentException when the shape is empty, has a dimension below 1, or is too
     *                                  large for a Java array
     */
    static HostTensor zeros(int... shape) {
        return HostTensor.zeros(shape);
    }

    /**
     * A new zero-filled host tensor backed by a native-order direct buffer (memory outside the Java
     * heap, as native code shares it).
     *
     * @param shape the dimensions, outermost first
     * @return the tensor
     * @throws IllegalArgumentException when the shape is empty, has a dimension below 1, or is too
     *                                  large for a direct buffer (2^31-1 bytes)
     */
    static HostTensor directZeros(int... shape) {
        return HostTensor.directZeros(shape);
    }
}
