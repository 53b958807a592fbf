package dev.convcl.onnx;

import com.google.protobuf.ByteString;
import dev.convcl.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.convcl.onnx.proto.OnnxProto.TensorProto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Turns a {@link TensorProto} into a {@link ConstTensor}, checking before anything is allocated:
 * dimensions not negative, their product without overflow and within a Java array, the total of
 * all constants within the caller's cap, the element count equal to the data present (raw_data
 * bytes, typed-field entries, or the external file's bytes), and an external-data location that
 * stays inside the model's folder (relative, no {@code ..} that climbs out, no symbolic link that
 * leads out).
 */
final class TensorReader {
    /** The most dimensions a tensor may have. */
    static final int MAX_RANK = 8;
    /** The most elements one tensor may have: the largest Java array. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final int CHUNK = 1 << 20;

    private final Path modelDir;
    private final long maxBytes;
    private long usedBytes;

    /**
     * @param modelDir the folder external data is relative to, or null when the model was read from
     *                 bytes (then external data is refused)
     * @param maxBytes the cap on all constants together, in bytes as float32/int64 held in memory
     */
    TensorReader(Path modelDir, long maxBytes) {
        this.modelDir = modelDir;
        this.maxBytes = maxBytes;
    }

    /** Element size in bytes in the file of each supported data type, 0 for unsupported ones. */
    static int elementSize(int dataType) {
        return switch (dataType) {
            case 1, 6, 12 -> 4;           // FLOAT, INT32, UINT32
            case 2, 3, 9 -> 1;            // UINT8, INT8, BOOL
            case 4, 5, 10, 16 -> 2;       // UINT16, INT16, FLOAT16, BFLOAT16
            case 7, 11, 13 -> 8;          // INT64, DOUBLE, UINT64
            default -> 0;
        };
    }

    static boolean isFloatType(int dataType) {
        return dataType == 1 || dataType == 10 || dataType == 11 || dataType == 16;
    }

    /** ONNX's name of a data type, e.g. {@code FLOAT}, or the number when it has none. */
    static String typeName(int dataType) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(dataType);
        return t == null ? Integer.toString(dataType) : t.name();
    }

    /**
     * Checks the declared dimensions and returns the element count.
     *
     * @param what names the tensor in messages, e.g. {@code initializer 'conv1.weight'}
     */
    static long checkedCount(String what, java.util.List<Long> dims) {
        if (dims.size() > MAX_RANK) {
            throw new OnnxModelException(what + " has " + dims.size() + " dimensions; convcl reads at most " + MAX_RANK);
        }
        long count = 1;
        boolean empty = false;
        for (int i = 0; i < dims.size(); i++) {
            long d = dims.get(i);
            if (d < 0) {
                throw new OnnxModelException(what + " declares dimension " + i + " = " + d + " in " + dims
                        + "; dimensions must not be negative");
            }
            if (d == 0) {
                empty = true;
            } else if (!empty) {
                if (count > MAX_ELEMENTS / d) {
                    throw new OnnxModelException(what + " declares dimensions " + dims + ", more than " + MAX_ELEMENTS
                            + " elements (the most one tensor may hold)");
                }
                count *= d;
            }
        }
        return empty ? 0 : count;
    }

    /**
     * Reads the tensor.
     *
     * @param what names the tensor in messages, e.g. {@code initializer 'conv1.weight'}
     * @throws OnnxModelException naming the tensor and the rule broken
     */
    ConstTensor read(TensorProto t, String what) {
        long count = checkedCount(what, t.getDimsList());
        long[] dims = new long[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
        }
        int type = t.getDataType();
        int size = elementSize(type);
        if (size == 0) {
            throw new OnnxModelException(what + " has element type " + typeName(type)
                    + "; convcl reads FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8/16/32/64, UINT8/16/32/64 and BOOL tensors");
        }
        reserve(what, count, isFloatType(type) ? 4 : 8);
        boolean external = t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0;
        if (external) {
            return readExternal(t, what, dims, count, type, size);
        }
        if (t.hasRawData()) {
            ByteString raw = t.getRawData();
            long need = count * size;
            if (raw.size() != need) {
                throw new OnnxModelException(what + " declares dimensions " + t.getDimsList() + " of " + typeName(type)
                        + " (" + need + " bytes) but its raw_data holds " + raw.size() + " bytes");
            }
            Values v = new Values(dims, count, type);
            v.decode(raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN), 0, (int) count);
            return v.result();
        }
        return readTyped(t, what, dims, count, type);
    }

    /** Counts {@code count} elements of {@code bytesEach} against the cap. */
    void reserve(String what, long count, int bytesEach) {
        long bytes = count * bytesEach;
        if (bytes > maxBytes - usedBytes) {
            throw new OnnxModelException(what + " needs " + bytes + " bytes, which takes the model's constants past the limit of "
                    + maxBytes + " bytes (" + usedBytes + " already read; raise OnnxImporter.Options.maxConstantBytes "
                    + "if the model is genuine)");
        }
        usedBytes += bytes;
    }

    private ConstTensor readTyped(TensorProto t, String what, long[] dims, long count, int type) {
        int present;
        String field;
        switch (type) {
            case 1 -> { present = t.getFloatDataCount(); field = "float_data"; }
            case 11 -> { present = t.getDoubleDataCount(); field = "double_data"; }
            case 7 -> { present = t.getInt64DataCount(); field = "int64_data"; }
            case 12, 13 -> { present = t.getUint64DataCount(); field = "uint64_data"; }
            default -> { present = t.getInt32DataCount(); field = "int32_data"; }
        }
        if (present != count) {
            throw new OnnxModelException(what + " declares dimensions " + t.getDimsList() + " (" + count + " elements of "
                    + typeName(type) + ") but its " + field + " holds " + present);
        }
        int n = (int) count;
        switch (type) {
            case 1 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = t.getFloatData(i);
                }
                return ConstTensor.floats(dims, f);
            }
            case 11 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = (float) t.getDoubleData(i);
                }
                return ConstTensor.floats(dims, f);
            }
            case 10, 16 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    int bits = t.getInt32Data(i) & 0xffff;
                    f[i] = type == 10 ? halfToFloat(bits) : Float.intBitsToFloat(bits << 16);
                }
                return ConstTensor.floats(dims, f);
            }
            case 7 -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    l[i] = t.getInt64Data(i);
                }
                return ConstTensor.longs(dims, l);
            }
            case 12, 13 -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    l[i] = t.getUint64Data(i);
                }
                return ConstTensor.longs(dims, l);
            }
            default -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    l[i] = t.getInt32Data(i);
                }
                return ConstTensor.longs(dims, l);
            }
        }
    }

    private ConstTensor readExternal(TensorProto t, String what, long[] dims, long count, int type, int size) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = number(what, "offset", e.getValue());
                case "length" -> length = number(what, "length", e.getValue());
                default -> { }
            }
        }
        if (location == null) {
            throw new OnnxModelException(what + " stores its data externally but names no location");
        }
        Path file = resolve(what, location);
        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (IOException e) {
            throw new OnnxModelException(what + ": cannot read external data file '" + location + "': " + e.getMessage(), e);
        }
        long need = count * size;
        if (offset > fileSize) {
            throw new OnnxModelException(what + ": external data offset " + offset + " is past the end of '" + location
                    + "' (" + fileSize + " bytes)");
        }
        long available = length >= 0 ? length : fileSize - offset;
        if (length >= 0 && length > fileSize - offset) {
            throw new OnnxModelException(what + ": external data offset " + offset + " + length " + length
                    + " runs past the end of '" + location + "' (" + fileSize + " bytes)");
        }
        if (available != need) {
            throw new OnnxModelException(what + " declares dimensions " + t.getDimsList() + " of " + typeName(type) + " ("
                    + need + " bytes) but its external data in '" + location + "' holds " + available + " bytes");
        }
        Values v = new Values(dims, count, type);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK - CHUNK % size, Math.max(need, size)))
                    .order(ByteOrder.LITTLE_ENDIAN);
            long pos = offset;
            long done = 0;
            while (done < count) {
                buf.clear();
                int elems = (int) Math.min(count - done, buf.capacity() / size);
                buf.limit(elems * size);
                while (buf.hasRemaining()) {
                    int r = ch.read(buf, pos);
                    if (r < 0) {
                        throw new OnnxModelException(what + ": external data file '" + location + "' ended early (changed while read?)");
                    }
                    pos += r;
                }
                buf.flip();
                v.decode(buf, (int) done, elems);
                done += elems;
            }
        } catch (IOException e) {
            throw new OnnxModelException(what + ": cannot read external data file '" + location + "': " + e.getMessage(), e);
        }
        return v.result();
    }

    private static long number(String what, String key, String value) {
        long v;
        try {
            v = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new OnnxModelException(what + ": external data " + key + " '" + value + "' is not a whole number");
        }
        if (v < 0) {
            throw new OnnxModelException(what + ": external data " + key + " " + v + " is negative");
        }
        return v;
    }

    /**
     * The external data file, checked to be a regular file inside the model's folder: the location
     * must be relative, must not climb out with {@code ..}, and must not reach outside through a
     * symbolic link (the real path of the file must lie inside the real path of the folder).
     */
    Path resolve(String what, String location) {
        String shown = "'" + location + "'";
        if (modelDir == null) {
            throw new OnnxModelException(what + ": external data " + shown
                    + " cannot be read: the model was given as bytes, not as a file in a folder");
        }
        if (location.isEmpty() || location.indexOf('\0') >= 0) {
            throw new OnnxModelException(what + ": external data location " + shown + " is empty or holds a NUL character");
        }
        if (location.startsWith("/") || location.startsWith("\\") || location.toLowerCase(Locale.ROOT).matches("^[a-z]:.*")) {
            throw new OnnxModelException(what + ": external data location " + shown
                    + " is absolute; it must be a path relative to the model's folder");
        }
        Path rel;
        try {
            rel = Path.of(location);
        } catch (InvalidPathException e) {
            throw new OnnxModelException(what + ": external data location " + shown + " is not a valid path: " + e.getReason());
        }
        if (rel.isAbsolute()) {
            throw new OnnxModelException(what + ": external data location " + shown
                    + " is absolute; it must be a path relative to the model's folder");
        }
        Path dir = modelDir.toAbsolutePath().normalize();
        Path target = dir.resolve(rel).normalize();
        if (!target.startsWith(dir)) {
            throw new OnnxModelException(what + ": external data location " + shown + " climbs out of the model's folder "
                    + dir + "; it must stay inside it");
        }
        Path real;
        Path realDir;
        try {
            realDir = dir.toRealPath();
            real = target.toRealPath();
        } catch (NoSuchFileException e) {
            throw new OnnxModelException(what + ": external data file " + shown + " does not exist in " + dir);
        } catch (IOException e) {
            throw new OnnxModelException(what + ": cannot resolve external data location " + shown + ": " + e.getMessage(), e);
        }
        if (!real.startsWith(realDir)) {
            throw new OnnxModelException(what + ": external data location " + shown + " leads through a symbolic link to "
                    + real + ", outside the model's folder " + realDir);
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new OnnxModelException(what + ": external data location " + shown + " is not a regular file");
        }
        return real;
    }

    /** IEEE 754 half precision bits to float. */
    static float halfToFloat(int bits) {
        int sign = (bits >>> 15) << 31;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Decodes little-endian elements of one data type into a float[] or long[]. */
    private static final class Values {
        final long[] dims;
        final int type;
        final float[] f;
        final long[] l;

        Values(long[] dims, long count, int type) {
            this.dims = dims;
            this.type = type;
            this.f = isFloatType(type) ? new float[(int) count] : null;
            this.l = f == null ? new long[(int) count] : null;
        }

        void decode(ByteBuffer b, int at, int n) {
            for (int i = 0; i < n; i++) {
                switch (type) {
                    case 1 -> f[at + i] = b.getFloat();
                    case 11 -> f[at + i] = (float) b.getDouble();
                    case 10 -> f[at + i] = halfToFloat(b.getShort() & 0xffff);
                    case 16 -> f[at + i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                    case 7, 13 -> l[at + i] = b.getLong();
                    case 6 -> l[at + i] = b.getInt();
                    case 12 -> l[at + i] = b.getInt() & 0xffffffffL;
                    case 5 -> l[at + i] = b.getShort();
                    case 4 -> l[at + i] = b.getShort() & 0xffff;
                    case 3 -> l[at + i] = b.get();
                    case 2, 9 -> l[at + i] = b.get() & 0xff;
                    default -> throw new IllegalStateException("type " + type);
                }
            }
        }

        ConstTensor result() {
            return f != null ? ConstTensor.floats(dims, f) : ConstTensor.longs(dims, l);
        }
    }
}
