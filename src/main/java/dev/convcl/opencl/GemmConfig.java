package dev.convcl.opencl;

import dev.convcl.DataType;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One tile configuration of the implicit-GEMM kernels ({@code conv2d_gemm.cl}): which kernel and
 * its tile and work-group shape. The text form ({@link #toString()}, read back by
 * {@link #parse(String)}) is what tuning files store, e.g. {@code cm vw=16 tm=32 tn=14 ls=1} or
 * {@code pv vw=16 tm=4 tn=64 ls=1 order=channels}.
 *
 * <ul>
 *   <li>{@link Kind#CM}: a work-item keeps {@code tm} output channels (vectors of {@code vw}) x
 *       {@code tn} pixels in registers; any stride. CPU style.</li>
 *   <li>{@link Kind#PV}: {@code tm} output channels x {@code tn} pixels (vectors of {@code vw}
 *       adjacent pixels); horizontal stride 1 only. CPU style, for groups with few channels.</li>
 *   <li>{@link Kind#LM}: a work-group of {@code wgn x wgm} work-items computes a {@code tm x tn}
 *       tile through local memory, {@code bk} taps at a time. GPU style.</li>
 * </ul>
 *
 * @param kind which kernel
 * @param vw   vector width (CM, PV); 0 for LM
 * @param tm   output channels per tile (per work-item for CM and PV, per work-group for LM)
 * @param tn   pixels per tile (per work-item for CM and PV, per work-group for LM); for CM the
 *             largest, since a plan may shorten it to share a row evenly
 * @param ls   work-items per work-group along the pixel tiles (CM, PV); 0 for LM
 * @param wgm  work-group size along channels (LM); 0 otherwise
 * @param wgn  work-group size along pixels (LM); 0 otherwise
 * @param bk   taps staged per step (LM); 0 otherwise
 * @param order which tiles consecutive work-groups take ({@link Order}); {@link Order#PIXELS} for LM
 */
public record GemmConfig(Kind kind, int vw, int tm, int tn, int ls, int wgm, int wgn, int bk, Order order) {

    /** The kernel a configuration runs. */
    public enum Kind {
        /** Channels in vectors, one input value broadcast per pixel. */
        CM,
        /** Pixels in vectors, one weight broadcast per channel. */
        PV,
        /** Local-memory tiles over a work-group. */
        LM
    }

    /**
     * The order in which a register-tile kernel's work-groups walk the output (CM, PV): which
     * tile index is the NDRange's first dimension, the one a CPU runtime runs consecutive
     * work-groups along (POCL hands each thread runs of adjacent work-groups). Cache blocking in
     * the GEMM's terms: the operand the consecutive tiles share stays in the core's caches, the
     * other is streamed.
     */
    public enum Order {
        /**
         * Pixel tiles vary fastest: the tiles of one output-channel tile run back to back and
         * share its weight panel; the input is read once per channel tile. The default, and the
         * only order of LM.
         */
        PIXELS,
        /**
         * Output-channel tiles vary fastest: the channel tiles of one pixel tile run back to back
         * and share its input columns, which are read once a call; the weights are read once per
         * pixel tile. Suits a 1x1 convolution whose input is much larger than its weights (many
         * pixels, few output channels: ResNet's 256-to-64 1x1 on 56x56 reads 3.2 MB of input and
         * 64 KB of weights).
         */
        CHANNELS
    }

    /** Largest number of accumulators (floats) one work-item may keep; beyond it a kernel only spills. */
    static final int MAX_REGISTER_TILE = 1024;

    public GemmConfig {
        if (kind == null) {
            throw new IllegalArgumentException("gemm config kind must not be null");
        }
        if (order == null) {
            throw new IllegalArgumentException("gemm config order must not be null");
        }
        switch (kind) {
            case CM, PV -> {
                if (vw != 1 && vw != 2 && vw != 4 && vw != 8 && vw != 16) {
                    throw new IllegalArgumentException("vw=" + vw + " must be 1, 2, 4, 8 or 16");
                }
                positive("tm", tm);
                positive("tn", tn);
                positive("ls", ls);
                int vectorDim = kind == Kind.CM ? tm : tn;
                if (vectorDim % vw != 0) {
                    throw new IllegalArgumentException((kind == Kind.CM ? "tm=" : "tn=") + vectorDim
                            + " must be a multiple of vw=" + vw + " for kernel " + kind.name().toLowerCase(Locale.ROOT));
                }
                if ((long) tm * tn > MAX_REGISTER_TILE) {
                    throw new IllegalArgumentException("tile tm x tn = " + tm + "x" + tn + " exceeds "
                            + MAX_REGISTER_TILE + " accumulators");
                }
                if (wgm != 0 || wgn != 0 || bk != 0) {
                    throw new IllegalArgumentException("wg and bk belong to kernel lm, not " + kind);
                }
            }
            case LM -> {
                positive("wgm", wgm);
                positive("wgn", wgn);
                positive("bk", bk);
                positive("tm", tm);
                positive("tn", tn);
                if (tm % wgm != 0 || tn % wgn != 0) {
                    throw new IllegalArgumentException("lm tile " + tm + "x" + tn + " must be a multiple of the work-group "
                            + wgm + "x" + wgn);
                }
                if ((long) (tm / wgm) * (tn / wgn) > MAX_REGISTER_TILE) {
                    throw new IllegalArgumentException("lm register tile " + tm / wgm + "x" + tn / wgn + " is too large");
                }
                if (vw != 0 || ls != 0) {
                    throw new IllegalArgumentException("vw and ls belong to kernels cm and pv, not lm");
                }
                if (order != Order.PIXELS) {
                    throw new IllegalArgumentException("order=" + order.name().toLowerCase(Locale.ROOT)
                            + " belongs to kernels cm and pv: lm walks its tiles by pixels");
                }
            }
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        }
    }

    private static void positive(String field, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(field + "=" + v + " must be at least 1");
        }
    }

    /** A {@link Kind#CM} configuration. */
    public static GemmConfig cm(int vw, int tm, int tn, int ls) {
        return new GemmConfig(Kind.CM, vw, tm, tn, ls, 0, 0, 0, Order.PIXELS);
    }

    /** A {@link Kind#PV} configuration. */
    public static GemmConfig pv(int vw, int tm, int tn, int ls) {
        return new GemmConfig(Kind.PV, vw, tm, tn, ls, 0, 0, 0, Order.PIXELS);
    }

    /** A {@link Kind#LM} configuration: work-group {@code wgm x wgn}, tile {@code tm x tn}. */
    public static GemmConfig lm(int wgm, int wgn, int tm, int tn, int bk) {
        return new GemmConfig(Kind.LM, 0, tm, tn, 0, wgm, wgn, bk, Order.PIXELS);
    }

    /** This configuration walking its tiles in {@code order}. */
    public GemmConfig withOrder(Order order) {
        return new GemmConfig(kind, vw, tm, tn, ls, wgm, wgn, bk, order);
    }

    /** Work-items per work-group. */
    public int workGroupSize() {
        return kind == Kind.LM ? wgm * wgn : ls;
    }

    /** Local memory the kernel needs for elements of {@code type}, in bytes. */
    public long localMemBytes(DataType type) {
        // staged weights and inputs, plus the pixel and tap offset tables (ints)
        return kind == Kind.LM ? (long) type.bytes() * bk * (tm + tn) + (long) Integer.BYTES * (tn + bk) : 0;
    }

    /**
     * The text form, e.g. {@code cm vw=16 tm=32 tn=14 ls=1}, {@code pv vw=16 tm=4 tn=64 ls=1
     * order=channels} or {@code lm wg=16x16 tm=64 tn=64 bk=16}; the order is written only when
     * it is not {@link Order#PIXELS}, so tuning files written before it read the same.
     */
    @Override
    public String toString() {
        String k = kind.name().toLowerCase(Locale.ROOT);
        return kind == Kind.LM
                ? k + " wg=" + wgm + "x" + wgn + " tm=" + tm + " tn=" + tn + " bk=" + bk
                : k + " vw=" + vw + " tm=" + tm + " tn=" + tn + " ls=" + ls
                        + (order == Order.PIXELS ? "" : " order=" + order.name().toLowerCase(Locale.ROOT));
    }

    /**
     * Reads the text form of {@link #toString()}.
     *
     * @throws IllegalArgumentException naming the field when the text is malformed or breaks a rule
     */
    public static GemmConfig parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty gemm config");
        }
        String[] tokens = text.trim().split("\\s+");
        Kind kind;
        try {
            kind = Kind.valueOf(tokens[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("gemm config kind '" + tokens[0] + "' is not one of cm, pv, lm", e);
        }
        Map<String, String> f = new LinkedHashMap<>();
        for (int i = 1; i < tokens.length; i++) {
            int eq = tokens[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("gemm config field '" + tokens[i] + "' is not key=value");
            }
            f.put(tokens[i].substring(0, eq), tokens[i].substring(eq + 1));
        }
        Order order = Order.PIXELS;
        String o = f.get("order");
        if (o != null) {
            try {
                order = Order.valueOf(o.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("gemm config order='" + o + "' is not one of pixels, channels", e);
            }
        }
        if (kind == Kind.LM) {
            if (order != Order.PIXELS) {
                throw new IllegalArgumentException("gemm config order=" + o + " belongs to kernels cm and pv, not lm");
            }
            String wg = need(f, "wg");
            int x = wg.indexOf('x');
            if (x < 0) {
                throw new IllegalArgumentException("gemm config wg='" + wg + "' is not MxN");
            }
            return lm(number("wg", wg.substring(0, x)), number("wg", wg.substring(x + 1)),
                    number("tm", need(f, "tm")), number("tn", need(f, "tn")), number("bk", need(f, "bk")));
        }
        return new GemmConfig(kind, number("vw", need(f, "vw")), number("tm", need(f, "tm")),
                number("tn", need(f, "tn")), number("ls", need(f, "ls")), 0, 0, 0, order);
    }

    private static String need(Map<String, String> f, String key) {
        String v = f.get(key);
        if (v == null) {
            throw new IllegalArgumentException("gemm config lacks field " + key);
        }
        return v;
    }

    private static int number(String key, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("gemm config " + key + "='" + v + "' is not an integer", e);
        }
    }
}
