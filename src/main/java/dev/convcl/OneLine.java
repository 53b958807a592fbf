package dev.convcl;

import dev.convcl.text.Decimal;
import dev.convcl.text.FieldException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Function;

/** The one-line problem form's field reader, shared by every operator's parser. */
final class OneLine {
    private OneLine() {
    }

    /**
     * The constant of an enum named {@code s} (case-insensitive): its token or its constant's name.
     *
     * @param what the start of the message, naming the field and the value, e.g. {@code kind='x'}
     * @throws IllegalArgumentException {@code <what> is not one of <the tokens, in order>}
     */
    static <E extends Enum<E>> E constant(E[] values, Function<E, String> token, String s, String what) {
        StringJoiner known = new StringJoiner(", ");
        for (E e : values) {
            if (token.apply(e).equalsIgnoreCase(s) || e.name().equalsIgnoreCase(s)) {
                return e;
            }
            known.add(token.apply(e));
        }
        throw new IllegalArgumentException(what + " is not one of " + known);
    }

    /** Splits a line into its fields; a leading token without '=' (a name) is skipped. */
    static Map<String, String> fields(String line) {
        if (line == null || line.isBlank()) {
            throw new IllegalArgumentException("empty problem line");
        }
        String[] tokens = line.trim().split("\\s+");
        Map<String, String> f = new LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            int eq = t.indexOf('=');
            if (eq < 0) {
                if (i == 0) {
                    continue; // the problem's name
                }
                throw new IllegalArgumentException("field '" + t + "' is not of the form key=value");
            }
            String key = t.substring(0, eq).toLowerCase(Locale.ROOT);
            if (f.put(key, t.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("field '" + key + "' given twice");
            }
        }
        return f;
    }

    /**
     * Reads {@code line} ({@link Operation#parse}) and checks it is a {@code type}: the
     * {@code parse} of each descriptor.
     *
     * @throws IllegalArgumentException naming the line, its operator and {@code name} when it is another
     */
    static <T extends Operation> T parseAs(String line, Class<T> type, String name) {
        Operation op = Operation.parse(line);
        if (type.isInstance(op)) {
            return type.cast(op);
        }
        throw new IllegalArgumentException("'" + line + "' is op=" + op.name() + ", not op=" + name);
    }

    /** Rejects keys outside {@code known}; the message lists them. */
    static void checkKeys(Map<String, String> f, Set<String> known) {
        for (String key : f.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown field '" + key + "' (known: " + new java.util.TreeSet<>(known)
                        + ")");
            }
        }
    }

    static String required(Map<String, String> f, String key) {
        String v = f.get(key);
        if (v == null) {
            throw new IllegalArgumentException("field '" + key + "' is missing");
        }
        return v;
    }

    /** {@code v} as an int; the message tells an integer beyond an int's range from a value that is none. */
    static int parseInt(String key, String v) {
        String t = v.trim();
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            if (t.matches("[+-]?[0-9]+")) {
                throw new IllegalArgumentException(key + "='" + t + "' is out of range for an int ("
                        + (t.startsWith("-") ? "at least " + Integer.MIN_VALUE : "at most " + Integer.MAX_VALUE) + ")");
            }
            throw new IllegalArgumentException(key + "='" + v + "' is not an integer");
        }
    }

    /**
     * {@code v} as a float: a decimal number ({@link Decimal}), not Java's spellings ({@code 2f},
     * {@code 0x1p3}); the message names the value as typed and tells a number beyond a float's
     * range, or too close to 0, from a value that is none.
     */
    static float parseFloat(String key, String v) {
        try {
            return Decimal.parseFloat(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + "=" + e.getMessage());
        }
    }

    /** The float field {@code key}, {@code dflt} when absent ({@link #parseFloat}). */
    static float floatField(Map<String, String> f, String key, float dflt) {
        String v = f.get(key);
        return v == null ? dflt : parseFloat(key, v);
    }

    static int intField(Map<String, String> f, String key) {
        return parseInt(key, required(f, key));
    }

    /** The required fields {@code n c h w}, read in that order. */
    static int[] nchw(Map<String, String> f) {
        return new int[] {intField(f, "n"), intField(f, "c"), intField(f, "h"), intField(f, "w")};
    }

    static int intField(Map<String, String> f, String key, int dflt) {
        String v = f.get(key);
        return v == null ? dflt : parseInt(key, v);
    }

    /** {@code "3"} is (3, 3), {@code "3,1"} is (3, 1). */
    static int[] pair(String key, String v) {
        String[] parts = v.split(",", -1);
        if (parts.length == 1) {
            int x = parseInt(key, parts[0]);
            return new int[] {x, x};
        }
        if (parts.length == 2) {
            return new int[] {parseInt(key, parts[0]), parseInt(key, parts[1])};
        }
        throw new IllegalArgumentException(key + "='" + v + "' must be one integer or two separated by a comma");
    }

    static int[] pairField(Map<String, String> f, String key, int dflt) {
        String v = f.get(key);
        return v == null ? new int[] {dflt, dflt} : pair(key, v);
    }

    /** {@code pad}: one value, {@code h,w}, or {@code top,left,bottom,right}; returns {top, left, bottom, right}. */
    static int[] pads(Map<String, String> f) {
        String v = f.get("pad");
        if (v == null) {
            return new int[4];
        }
        String[] parts = v.split(",", -1);
        if (parts.length == 4) {
            return new int[] {parseInt("pad", parts[0]), parseInt("pad", parts[1]), parseInt("pad", parts[2]),
                parseInt("pad", parts[3])};
        }
        if (parts.length > 2) {
            throw new IllegalArgumentException("pad='" + v + "' must be one integer, h,w or top,left,bottom,right");
        }
        int[] p = pair("pad", v);
        return new int[] {p[0], p[1], p[0], p[1]};
    }

    static Window2d window(Map<String, String> f) {
        int[] stride = pairField(f, "stride", 1);
        int[] pad = pads(f);
        int[] dil = pairField(f, "dil", 1);
        return new Window2d(intField(f, "kh"), intField(f, "kw"), stride[0], stride[1], pad[0], pad[1], pad[2], pad[3],
                dil[0], dil[1]);
    }

    /**
     * The fields of a {@code conv2d} or {@code deform2d} line, read in the order their errors are
     * reported: unknown keys, n c h w, k, the window, groups, og, mask, bias, post, dt, dir. A
     * {@code conv2d} line's {@code keys} exclude og and mask, so they keep their defaults there.
     */
    static ConvFields convFields(Map<String, String> f, Set<String> keys) {
        checkKeys(f, keys);
        return new ConvFields(nchw(f), intField(f, "k"), window(f), intField(f, "groups", 1), intField(f, "og", 1),
                flag(f, "mask"), flag(f, "bias"), postOps(f), dataType(f), direction(f));
    }

    /** The fields {@link #convFields} read; the descriptors' constructors validate them. */
    record ConvFields(int[] nchw, int k, Window2d window, int groups, int offsetGroups, boolean mask, boolean bias,
                      PostOps postOps, DataType dataType, Direction direction) {
        Conv2d conv2d() {
            return new Conv2d(nchw[0], nchw[1], nchw[2], nchw[3], k, window, groups, bias, postOps, dataType, direction);
        }

        DeformConv2d deform2d() {
            return new DeformConv2d(nchw[0], nchw[1], nchw[2], nchw[3], k, window, groups, offsetGroups, mask, bias,
                    postOps, dataType, direction);
        }
    }

    static boolean flag(Map<String, String> f, String key) {
        String v = f.getOrDefault(key, "0");
        return switch (v) {
            case "0", "false" -> false;
            case "1", "true" -> true;
            default -> throw new IllegalArgumentException(key + "='" + v + "' must be 0 or 1");
        };
    }

    /** {@code post=...}, with the older {@code relu=1} accepted as {@code post=relu}. */
    static PostOps postOps(Map<String, String> f) {
        boolean relu = flag(f, "relu");
        PostOps post = PostOps.parse(f.get("post"));
        if (relu && !post.isEmpty()) {
            throw new IllegalArgumentException("give relu=1 or post=" + f.get("post") + ", not both");
        }
        return relu ? PostOps.of(Activation.relu()) : post;
    }

    static DataType dataType(Map<String, String> f) {
        String v = f.get("dt");
        return v == null ? DataType.F32 : DataType.parse(v);
    }

    static Direction direction(Map<String, String> f) {
        String v = f.get("dir");
        return v == null ? Direction.FORWARD : Direction.parse(v);
    }

    /**
     * Throws when a tensor of the given dimensions (each at least 0) would have 2^31 elements or
     * more (kernels index with 32-bit ints). The product is taken without overflow: dimensions of
     * 65536 would wrap a long to 0, and the message names the exact count.
     */
    static void fits(String tensor, long... dims) {
        long size = 1;
        for (long d : dims) {
            // Stop once past the limit: every further dimension is at least 1 unless one is 0.
            size = size > Integer.MAX_VALUE ? size : size * Math.min(d, (long) Integer.MAX_VALUE + 1);
        }
        if (size > Integer.MAX_VALUE && java.util.Arrays.stream(dims).noneMatch(d -> d == 0)) {
            java.math.BigInteger exact = java.math.BigInteger.ONE;
            for (long d : dims) {
                exact = exact.multiply(java.math.BigInteger.valueOf(d));
            }
            throw new dev.convcl.text.SizeException(tensor, exact);
        }
    }

    /** {@link #fits(String, long...)} for a shape. */
    static void fits(String tensor, int[] shape) {
        fits(tensor, java.util.Arrays.stream(shape).asLongStream().toArray());
    }

    /**
     * {@code e} with its value as the line wrote it, when it is the integer field of that key
     * ({@code n=00}, {@code sr=-01}: named so, not as the int read); else {@code e} as it is (a
     * field of another name, such as {@code stride_h} of {@code stride=1,0}, keeps the value read).
     */
    static FieldException asTyped(FieldException e, Map<String, String> f) {
        String text = f.get(e.field());
        if (text == null || text.strip().equals(e.value())) {
            return e;
        }
        try {
            return Integer.parseInt(text.strip()) == Integer.parseInt(e.value()) ? e.withValue(text.strip()) : e;
        } catch (NumberFormatException notOneInt) {
            return e;
        }
    }

    /** Checks the four NCHW sizes, each at least 1, in that order; the message names the first that is not. */
    static void positiveNchw(int n, int c, int h, int w) {
        positive("n", n);
        positive("c", c);
        positive("h", h);
        positive("w", w);
    }

    static void positive(String field, int v) {
        if (v < 1) {
            throw new FieldException(field, null, v, "must be at least 1");
        }
    }
}
