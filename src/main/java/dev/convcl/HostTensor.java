package dev.convcl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A dense float32 tensor in host memory, row-major (NCHW for 4-D), over either a Java
 * {@code float[]} or a {@link FloatBuffer} (direct buffers avoid a copy when data comes from
 * native code). Made by {@link Tensor#of}, {@link Tensor#wrap}, {@link Tensor#zeros} and
 * {@link Tensor#directZeros}.
 *
 * <p>The tensor does not copy: it is a view with a shape. Its element count always equals the
 * product of its shape; the factory methods reject anything else with the two numbers named.
 * Passing a host tensor to a plan on an OpenCL device copies it to the device (and an output back)
 * on every call; keep tensors on the device with {@link DeviceTensor} to avoid that. On the CPU
 * path plans read and write {@code float[]}-backed host tensors in place, and copy buffer-backed
 * ones in and out.
 *
 * <pre>{@code
 * HostTensor x = Tensor.of(pixels, 1, 3, 224, 224);   // a view of pixels, no copy
 * HostTensor y = Tensor.zeros(1, 64, 112, 112);       // a new float[]
 * float first = y.get(0);
 * float[] data = y.array();                           // the backing array itself
 * }</pre>
 *
 * <p>Not thread-safe for writes, like the array it wraps.
 */
public final class HostTensor implements Tensor {
    private final int[] shape;
    private final float[] array;
    private final FloatBuffer buffer;

    private HostTensor(int[] shape, float[] array, FloatBuffer buffer) {
        this.shape = shape;
        this.array = array;
        this.buffer = buffer;
    }

    /** Wraps {@code data} (not copied) with the given shape. */
    static HostTensor of(float[] data, int... shape) {
        if (data == null) {
            throw new IllegalArgumentException("tensor data must not be null");
        }
        int[] s = checkedShape(shape);
        long size = product(s);
        if (data.length != size) {
            throw new IllegalArgumentException("tensor data has " + data.length + " elements but shape "
                    + Arrays.toString(s) + " needs " + size);
        }
        return new HostTensor(s, data, null);
    }

    /**
     * Wraps the remaining elements of {@code buffer} (position to limit; not copied) with the
     * given shape.
     */
    static HostTensor wrap(FloatBuffer buffer, int... shape) {
        if (buffer == null) {
            throw new IllegalArgumentException("tensor buffer must not be null");
        }
        int[] s = checkedShape(shape);
        long size = product(s);
        if (buffer.remaining() != size) {
            throw new IllegalArgumentException("tensor buffer has " + buffer.remaining()
                    + " elements remaining but shape " + Arrays.toString(s) + " needs " + size);
        }
        return new HostTensor(s, null, buffer.slice());
    }

    /** A new zero-filled tensor backed by a {@code float[]}. */
    static HostTensor zeros(int... shape) {
        int[] s = checkedShape(shape);
        long size = product(s);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " has " + size
                    + " elements, more than a Java array holds (2^31-9)");
        }
        return new HostTensor(s, new float[(int) size], null);
    }

    /** A new zero-filled tensor backed by a native-order direct buffer. */
    static HostTensor directZeros(int... shape) {
        int[] s = checkedShape(shape);
        long size = product(s);
        if (size > Integer.MAX_VALUE / 4) { // size * 4 could wrap a long
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " has " + size
                    + " elements, more than a direct buffer of 2^31-1 bytes holds");
        }
        FloatBuffer fb = ByteBuffer.allocateDirect((int) size * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        return new HostTensor(s, null, fb);
    }

    private static int[] checkedShape(int[] shape) {
        if (shape == null || shape.length == 0) {
            throw new IllegalArgumentException("tensor shape must have at least one dimension");
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 1) {
                throw new IllegalArgumentException("tensor dimension " + i + " is " + shape[i]
                        + " in shape " + Arrays.toString(shape) + "; every dimension must be at least 1");
            }
        }
        return shape.clone();
    }

    /**
     * The element count, exact wherever it fits a long, so a factory's refusal names the true count
     * (an earlier bound of about 2^32 refused {@code [100000, 100000]} as just "too large").
     */
    private static long product(int[] s) {
        long p = 1;
        for (int d : s) {
            try {
                p = Math.multiplyExact(p, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(s)
                        + " has more elements than a long counts (2^63-1); a tensor holds at most 2^31-1");
            }
        }
        return p;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public int size() {
        return array != null ? array.length : buffer.capacity();
    }

    /**
     * Whether this tensor is backed by a Java array ({@link #array()}) rather than a buffer.
     *
     * @return true for a {@code float[]}-backed tensor
     */
    public boolean hasArray() {
        return array != null;
    }

    /**
     * The backing array itself (not a copy): writes to it change the tensor.
     *
     * @return the array, of {@link #size()} elements, row-major
     * @throws IllegalStateException when the tensor wraps a {@link FloatBuffer} (see {@link #hasArray()})
     */
    public float[] array() {
        if (array == null) {
            throw new IllegalStateException("this tensor wraps a FloatBuffer, not a float[]");
        }
        return array;
    }

    /**
     * The backing buffer, as a new view sharing its contents.
     *
     * @return a view whose position 0 is element 0 and whose limit is {@link #size()}, or null for
     *         an array-backed tensor
     */
    public FloatBuffer buffer() {
        return buffer == null ? null : buffer.duplicate();
    }

    /**
     * One element.
     *
     * @param index the flat row-major index, from 0 to {@code size() - 1} (for NCHW,
     *              {@code ((n * C + c) * H + h) * W + w})
     * @return the element
     * @throws IndexOutOfBoundsException when {@code index} is outside the tensor; the message names
     *                                   the index, the shape and the valid range
     */
    public float get(int index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException("index " + index + " is outside tensor " + Arrays.toString(shape)
                    + " of " + size() + " elements (0 to " + (size() - 1) + ")");
        }
        return array != null ? array[index] : buffer.get(index);
    }

    /**
     * Copies every element into a new array.
     *
     * @return a new array of {@link #size()} elements, row-major
     */
    public float[] toArray() {
        if (array != null) {
            return array.clone();
        }
        float[] out = new float[buffer.capacity()];
        buffer.get(0, out);
        return out;
    }

    /**
     * Copies {@code src} into this tensor, every element.
     *
     * @param src exactly {@link #size()} values, row-major; read
     * @throws IllegalArgumentException when {@code src} is null or has another length
     * @throws java.nio.ReadOnlyBufferException when the tensor wraps a read-only buffer ({@link #isReadOnly})
     */
    public void copyFrom(float[] src) {
        if (src == null) {
            throw new IllegalArgumentException("the source array must not be null");
        }
        if (src.length != size()) {
            throw new IllegalArgumentException("source has " + src.length + " elements, tensor has " + size());
        }
        if (array != null) {
            System.arraycopy(src, 0, array, 0, src.length);
        } else {
            buffer.put(0, src);
        }
    }

    @Override
    public DataType dataType() {
        return DataType.F32;
    }

    /**
     * Whether this tensor wraps a read-only {@link FloatBuffer}: it can be read (an input) but not
     * written, so plans, downloads and graphs refuse it as an output before any work.
     *
     * @return true for a read-only buffer-backed tensor
     */
    public boolean isReadOnly() {
        return buffer != null && buffer.isReadOnly();
    }

    /**
     * Whether this tensor and {@code other} are views of the same Java array ({@link Args}
     * refuses an output that shares its array with an input).
     *
     * @param other another tensor, or null
     * @return true when both are backed by the same {@code float[]}
     */
    public boolean sharesArrayWith(HostTensor other) {
        return other != null && array != null && array == other.array;
    }

    /**
     * The shape and the storage kind, for messages (never the elements).
     *
     * @return e.g. {@code HostTensor[1, 64, 56, 56] float[]}
     */
    @Override
    public String toString() {
        return "HostTensor" + Arrays.toString(shape) + (array != null ? " float[]"
                : buffer.isReadOnly() ? " FloatBuffer (read-only)" : " FloatBuffer");
    }
}
