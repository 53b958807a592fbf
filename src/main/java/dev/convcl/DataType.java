package dev.convcl;

/**
 * The element type of a tensor and of an operation's arithmetic. Element sizes everywhere come
 * from {@link #bytes()}; kernels see the type as the {@code real} type of the OpenCL prelude.
 * Only {@link #F32} exists today; half-precision storage is planned.
 */
public enum DataType {
    /** IEEE 754 binary32, the type of PyTorch's {@code torch.float32}. */
    F32("f32", 4, "float");

    private final String token;
    private final int bytes;
    private final String openclType;

    DataType(String token, int bytes, String openclType) {
        this.token = token;
        this.bytes = bytes;
        this.openclType = openclType;
    }

    /**
     * The name in one-line problem forms ({@code dt=}).
     *
     * @return e.g. {@code f32}
     */
    public String token() {
        return token;
    }

    /**
     * Bytes per element.
     *
     * @return e.g. 4 for {@link #F32}
     */
    public int bytes() {
        return bytes;
    }

    /**
     * The OpenCL C scalar type that stores it.
     *
     * @return e.g. {@code float}
     */
    public String openclType() {
        return openclType;
    }

    /**
     * The data type named {@code s} (case-insensitive): its {@link #token()} or its constant's name.
     *
     * @param s e.g. {@code f32} or {@code F32}
     * @return the data type
     * @throws IllegalArgumentException naming the value and the known types
     */
    public static DataType parse(String s) {
        return OneLine.constant(values(), DataType::token, s, "data type '" + s + "'");
    }
}
