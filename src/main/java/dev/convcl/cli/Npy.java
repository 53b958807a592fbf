package dev.convcl.cli;

import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0): little-endian
 * float32 or float64 in C order. float64 is converted to float32 on reading; int32 and int64
 * (ONNX RoiAlign's batch indices) are read as exact float32 values (|value| <= 2^24, else refused). Everything else
 * (big-endian, Fortran order, other integer widths, unsigned or structured dtypes, a bad magic string, a header that
 * does not parse, data shorter or longer than the shape says) is refused with a
 * {@link NpyFormatException} that names the file and the problem.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy pads the header so the data starts at a multiple of 64 bytes. */
    private static final int ALIGN = 64;
    private static final int CHUNK = 1 << 20;

    private Npy() {
    }

    /** A {@code .npy} file that convcl cannot read; the message names the file and the problem. */
    public static final class NpyFormatException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String problem;

        NpyFormatException(Path file, String problem) {
            super(file + ": " + problem);
            this.problem = problem;
        }

        /** What is wrong with the file, without its name. */
        public String problem() {
            return problem;
        }
    }

    /**
     * Reads a float32 or float64 array (or an int32 / int64 one of exact float32 values) into a
     * float32 tensor of the file's shape.
     *
     * @throws NpyFormatException when the file is missing, a folder, or not a readable {@code .npy}
     *                            file of a supported kind
     * @throws IOException        when reading fails otherwise
     */
    public static HostTensor read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new NpyFormatException(file, "is a folder, not a .npy file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(file, in, Files.size(file));
        } catch (NoSuchFileException e) {
            throw new NpyFormatException(file, "no such file");
        } catch (AccessDeniedException e) {
            throw new NpyFormatException(file, "permission denied");
        }
    }

    /** A header and where the data starts. */
    private record HeaderAt(Header header, long dataStart) {
    }

    private static HeaderAt header(Path file, InputStream in, boolean allowEmpty) throws IOException {
        byte[] prefix = in.readNBytes(8);
        if (prefix.length < 8 || !Arrays.equals(Arrays.copyOf(prefix, 6), MAGIC)) {
            throw new NpyFormatException(file, "not a .npy file (the magic string \\x93NUMPY is missing)");
        }
        int major = prefix[6] & 0xff;
        int minor = prefix[7] & 0xff;
        long headerLen;
        int lenBytes;
        if (major == 1) {
            lenBytes = 2;
        } else if (major == 2 || major == 3) {
            lenBytes = 4;
        } else {
            throw new NpyFormatException(file, "format version " + major + "." + minor
                    + " is not supported (1.0, 2.0 and 3.0 are)");
        }
        byte[] lenField = in.readNBytes(lenBytes);
        if (lenField.length < lenBytes) {
            throw new NpyFormatException(file, "truncated header");
        }
        ByteBuffer lb = ByteBuffer.wrap(lenField).order(ByteOrder.LITTLE_ENDIAN);
        headerLen = lenBytes == 2 ? lb.getShort() & 0xffff : lb.getInt() & 0xffffffffL;
        if (headerLen > 1 << 20) {
            throw new NpyFormatException(file, "header length " + headerLen + " is implausible");
        }
        byte[] headerBytes = in.readNBytes((int) headerLen);
        if (headerBytes.length < headerLen) {
            throw new NpyFormatException(file, "truncated header");
        }
        // Version 3.0 only changes the header's encoding from latin-1 to UTF-8.
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header h = Header.parse(file, header, allowEmpty);
        return new HeaderAt(h, 6 + 2 + lenBytes + headerLen);
    }

    /**
     * The shape of a {@code .npy} file's array, from its header alone; unlike {@link #read}, a
     * dimension may be 0 (an empty array, e.g. no RoIs).
     *
     * @throws NpyFormatException naming the file when it is no readable float32/float64 .npy file
     */
    public static int[] shape(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new NpyFormatException(file, "is a folder, not a .npy file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return header(file, in, true).header().shape();
        } catch (NoSuchFileException e) {
            throw new NpyFormatException(file, "no such file");
        } catch (AccessDeniedException e) {
            throw new NpyFormatException(file, "permission denied");
        }
    }

    /** The largest integer magnitude below which every integer has an exact float32 value. */
    private static final long EXACT_INT = 1L << 24;

    private static HostTensor read(Path file, InputStream in, long fileSize) throws IOException {
        HeaderAt at = header(file, in, false);
        Header h = at.header();
        long expectedBytes = h.itemSize;
        try {
            for (int d : h.shape) {
                expectedBytes = Math.multiplyExact(expectedBytes, d);
            }
        } catch (ArithmeticException e) {
            throw new NpyFormatException(file, "shape " + Arrays.toString(h.shape) + " is too large");
        }
        long dataStart = at.dataStart();
        long actualBytes = fileSize - dataStart;
        if (actualBytes < expectedBytes) {
            throw new NpyFormatException(file, "truncated data: shape " + Arrays.toString(h.shape) + " of " + h.descr
                    + " needs " + expectedBytes + " bytes, the file has " + actualBytes);
        }
        if (actualBytes > expectedBytes) {
            throw new NpyFormatException(file, "the file has " + actualBytes + " bytes of data but shape "
                    + Arrays.toString(h.shape) + " of " + h.descr + " needs " + expectedBytes
                    + " (header and data do not match)");
        }
        HostTensor t;
        try {
            t = Tensor.zeros(h.shape);
        } catch (IllegalArgumentException e) {
            throw new NpyFormatException(file, e.getMessage());
        }
        float[] dst = t.array();
        byte[] chunk = new byte[CHUNK];
        int done = 0;
        while (done < dst.length) {
            int want = (int) Math.min((long) (dst.length - done) * h.itemSize, chunk.length);
            int got = in.readNBytes(chunk, 0, want);
            if (got < want) {
                throw new NpyFormatException(file, "truncated data (the file shrank while being read)");
            }
            ByteBuffer bb = ByteBuffer.wrap(chunk, 0, got).order(ByteOrder.LITTLE_ENDIAN);
            if (h.descr.startsWith("<i")) {
                int n = got / h.itemSize;
                for (int i = 0; i < n; i++) {
                    long v = h.itemSize == 4 ? bb.getInt() : bb.getLong();
                    if (Math.abs(v) > EXACT_INT) {
                        throw new NpyFormatException(file, "element " + (done + i) + " = " + v + " has no exact "
                                + "float32 value; integers are read as float32, |value| <= 2^24");
                    }
                    dst[done + i] = v;
                }
                done += n;
            } else if (h.itemSize == 4) {
                FloatBuffer fb = bb.asFloatBuffer();
                int n = got / 4;
                fb.get(dst, done, n);
                done += n;
            } else {
                int n = got / 8;
                for (int i = 0; i < n; i++) {
                    dst[done + i] = (float) bb.getDouble();
                }
                done += n;
            }
        }
        return t;
    }

    /**
     * Writes {@code t} as a float32 {@code .npy} (version 1.0, or 2.0 if the header would not fit),
     * to a temporary file in the same folder that is then moved into place, so a reader never sees
     * a partial file.
     */
    public static void write(Path file, HostTensor t) throws IOException {
        AtomicFiles.write(file, out -> write(out, t));
    }

    /** Writes the {@code .npy} bytes of {@code t} (float32) to {@code out}. */
    public static void write(OutputStream out, HostTensor t) throws IOException {
        out.write(header(t.shape()));
        float[] src = t.hasArray() ? t.array() : t.toArray();
        ByteBuffer bb = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < src.length; ) {
            bb.clear();
            int n = Math.min(src.length - i, CHUNK / 4);
            bb.asFloatBuffer().put(src, i, n);
            out.write(bb.array(), 0, n * 4);
            i += n;
        }
    }

    /** Magic, version, length and the padded header dictionary of a float32 C-order array. */
    static byte[] header(int[] shape) {
        StringBuilder dict = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            dict.append(shape[i]).append(i == 0 && shape.length == 1 ? "," : i < shape.length - 1 ? ", " : "");
        }
        dict.append("), }");
        int major = 1;
        int lenBytes = 2;
        int total = padded(6 + 2 + lenBytes + dict.length() + 1);
        if (total - 10 > 0xffff) {
            major = 2;
            lenBytes = 4;
            total = padded(6 + 2 + lenBytes + dict.length() + 1);
        }
        int headerLen = total - (6 + 2 + lenBytes);
        while (dict.length() < headerLen - 1) {
            dict.append(' ');
        }
        dict.append('\n');
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (lenBytes == 2) {
            b.putShort((short) headerLen);
        } else {
            b.putInt(headerLen);
        }
        b.put(dict.toString().getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    private static int padded(int n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** The three fields of a header dictionary that matter, checked. */
    private record Header(String descr, int itemSize, int[] shape) {

        static Header parse(Path file, String text, boolean allowEmpty) {
            Map<String, Object> dict;
            try {
                dict = new DictParser(text).parseDict();
            } catch (IllegalStateException e) {
                throw new NpyFormatException(file, "header does not parse (" + e.getMessage() + "): " + text.trim());
            }
            Object descr = dict.get("descr");
            Object fortran = dict.get("fortran_order");
            Object shape = dict.get("shape");
            if (descr == null || fortran == null || shape == null) {
                throw new NpyFormatException(file, "header lacks one of 'descr', 'fortran_order', 'shape': " + text.trim());
            }
            if (dict.size() != 3) {
                // numpy's own reader refuses any other key (numpy.lib.format: "Header does not contain
                // the correct keys")
                List<String> extra = dict.keySet().stream()
                        .filter(k -> !List.of("descr", "fortran_order", "shape").contains(k)).toList();
                throw new NpyFormatException(file, "header has key" + (extra.size() == 1 ? " '" + extra.get(0) + "'"
                        : "s " + extra) + " besides 'descr', 'fortran_order' and 'shape', which numpy does not write"
                        + " or read: " + text.trim());
            }
            if (!(descr instanceof String d)) {
                throw new NpyFormatException(file, "structured dtype " + descr + " is not supported; expected '<f4' or '<f8'");
            }
            int itemSize = switch (d) {
                case "<f4", "<i4" -> 4;
                case "<f8", "<i8" -> 8;
                default -> throw new NpyFormatException(file, "dtype '" + d + "' is not supported"
                        + (d.startsWith(">") ? " (big-endian)" : "")
                        + "; expected little-endian float32 '<f4' or float64 '<f8' (or int32 '<i4' / int64 '<i8' "
                        + "such as RoiAlign's batch indices)");
            };
            if (!(fortran instanceof Boolean f)) {
                throw new NpyFormatException(file, "fortran_order must be True or False, not " + fortran);
            }
            if (f) {
                throw new NpyFormatException(file, "fortran_order is True; convcl reads C-order arrays only "
                        + "(save np.ascontiguousarray(a))");
            }
            if (!(shape instanceof List<?> dims)) {
                throw new NpyFormatException(file, "shape must be a tuple, not " + shape);
            }
            if (dims.isEmpty()) {
                throw new NpyFormatException(file, "is a 0-d array (shape ()); an array of rank 1 or more is needed");
            }
            int[] s = new int[dims.size()];
            for (int i = 0; i < s.length; i++) {
                Object v = dims.get(i);
                if (!(v instanceof Long l)) {
                    throw new NpyFormatException(file, "shape entry " + v + " is not a dimension size");
                }
                if (l < 0 || l > Integer.MAX_VALUE) {
                    throw new NpyFormatException(file, "shape entry " + v + " is out of range (a dimension size is 0 to "
                            + Integer.MAX_VALUE + ")");
                }
                if (l == 0 && !allowEmpty) {
                    throw new NpyFormatException(file, "shape " + dims + " has an empty dimension");
                }
                s[i] = (int) (long) l;
            }
            return new Header(d, itemSize, s);
        }
    }

    /**
     * Parses the Python literal subset numpy writes in headers: a dict of string keys whose values
     * are strings, True/False, integers, or tuples/lists of those.
     */
    private static final class DictParser {
        private final String s;
        private int pos;

        DictParser(String s) {
            this.s = s;
        }

        Map<String, Object> parseDict() {
            skipSpace();
            expect('{');
            Map<String, Object> m = new LinkedHashMap<>();
            skipSpace();
            while (peek() != '}') {
                Object key = value();
                if (!(key instanceof String k)) {
                    throw new IllegalStateException("dictionary key " + key + " is not a string");
                }
                skipSpace();
                expect(':');
                m.put(k, value());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    skipSpace();
                } else if (peek() != '}') {
                    throw new IllegalStateException("expected ',' or '}' at offset " + pos);
                }
            }
            pos++;
            skipSpace();
            if (pos != s.length()) {
                throw new IllegalStateException("text after the dictionary at offset " + pos);
            }
            return m;
        }

        private Object value() {
            skipSpace();
            char c = peek();
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, pos + 1);
                if (end < 0) {
                    throw new IllegalStateException("unterminated string at offset " + pos);
                }
                String v = s.substring(pos + 1, end);
                pos = end + 1;
                return v;
            }
            if (c == '(' || c == '[') {
                char close = c == '(' ? ')' : ']';
                pos++;
                List<Object> items = new ArrayList<>();
                skipSpace();
                while (peek() != close) {
                    items.add(value());
                    skipSpace();
                    if (peek() == ',') {
                        pos++;
                        skipSpace();
                    } else if (peek() != close) {
                        throw new IllegalStateException("expected ',' or '" + close + "' at offset " + pos);
                    }
                }
                pos++;
                return items;
            }
            if (s.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            int start = pos;
            if (c == '-') {
                pos++;
            }
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                pos++;
            }
            // numpy < 2 on Windows wrote long dimensions as e.g. 3L
            String digits = s.substring(start, pos);
            if (pos < s.length() && s.charAt(pos) == 'L') {
                pos++;
            }
            if (digits.isEmpty() || digits.equals("-")) {
                throw new IllegalStateException("unexpected '" + c + "' at offset " + start);
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("the number " + digits + " at offset " + start + " is out of range"
                        + " (a dimension size is 0 to " + Integer.MAX_VALUE + ")");
            }
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private char peek() {
            if (pos >= s.length()) {
                throw new IllegalStateException("unexpected end of header");
            }
            return s.charAt(pos);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw new IllegalStateException("expected '" + c + "' at offset " + pos);
            }
            pos++;
        }
    }
}
