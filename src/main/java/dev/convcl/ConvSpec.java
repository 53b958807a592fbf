package dev.convcl;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One 2-D convolution problem, as a value: shapes, stride, padding, dilation, groups and, for
 * deformable convolution, offset groups and the modulation mask. Semantics are PyTorch's
 * ({@code torch.nn.functional.conv2d}, {@code torchvision.ops.deform_conv2d}); tensors are NCHW
 * float32. In deform2d, a sample point is exact: its integer cell and its bilinear fraction are
 * taken apart (the fraction comes from the offset alone), so no bits are lost on wide or tall
 * maps. A point with y &lt;= -1, y &gt;= H, x &lt;= -1 or x &gt;= W, which includes any infinite
 * offset, is a zero sample (still multiplied by its mask and weight, so {@code 0 * inf} is NaN);
 * a NaN offset or mask value makes NaN in every output that uses its sample.
 *
 * <p>The constructor validates every rule and throws {@link IllegalArgumentException} naming the
 * field, its value and the rule; an instance is therefore always a problem a backend can run.
 * {@link #toString()} prints a one-line repro that {@link #parse(String)} reads back; the same
 * line format is used by the benchmark's shapes files.
 *
 * @param op           which operation
 * @param n            batch size
 * @param c            input channels
 * @param h            input height
 * @param w            input width
 * @param k            output channels
 * @param kh           kernel height
 * @param kw           kernel width
 * @param strideH      vertical stride, at least 1
 * @param strideW      horizontal stride, at least 1
 * @param padH         zero padding above and below, at least 0
 * @param padW         zero padding left and right, at least 0
 * @param dilH         vertical dilation, at least 1 (1 = ordinary convolution)
 * @param dilW         horizontal dilation, at least 1
 * @param groups       channel groups; must divide c and k ({@code groups == c} is depthwise)
 * @param offsetGroups deformable offset groups (must divide c); 1 for conv2d
 * @param mask         whether a modulation mask is given (DCNv2); false for conv2d
 * @param bias         whether a bias of k values is added
 * @param relu         whether ReLU is applied after the bias (a fused epilogue)
 */
public record ConvSpec(Op op, int n, int c, int h, int w, int k, int kh, int kw,
                       int strideH, int strideW, int padH, int padW, int dilH, int dilW,
                       int groups, int offsetGroups, boolean mask, boolean bias, boolean relu) {

    /** The operation a spec describes. */
    public enum Op {
        /** {@code torch.nn.functional.conv2d}. */
        CONV2D("conv2d"),
        /** {@code torchvision.ops.deform_conv2d} (v1 without mask, v2 with). */
        DEFORM2D("deform2d");

        private final String token;

        Op(String token) {
            this.token = token;
        }

        /** The name used in one-line specs and on the command line. */
        public String token() {
            return token;
        }

        public static Op parse(String s) {
            for (Op op : values()) {
                if (op.token.equalsIgnoreCase(s)) {
                    return op;
                }
            }
            throw new IllegalArgumentException("op '" + s + "' is not one of conv2d, deform2d");
        }
    }

    public ConvSpec {
        if (op == null) {
            throw new IllegalArgumentException("op must not be null");
        }
        positive("n", n);
        positive("c", c);
        positive("h", h);
        positive("w", w);
        positive("k", k);
        positive("kh", kh);
        positive("kw", kw);
        positive("stride_h", strideH);
        positive("stride_w", strideW);
        nonNegative("pad_h", padH);
        nonNegative("pad_w", padW);
        positive("dil_h", dilH);
        positive("dil_w", dilW);
        positive("groups", groups);
        positive("offset_groups", offsetGroups);
        if (c % groups != 0) {
            throw new IllegalArgumentException("groups=" + groups + " must divide input channels c=" + c);
        }
        if (k % groups != 0) {
            throw new IllegalArgumentException("groups=" + groups + " must divide output channels k=" + k);
        }
        // Kernels and outH()/outW() compute h + 2*pad_h in 32-bit ints.
        if ((long) h + 2L * padH > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padded input height h+2*pad_h=" + ((long) h + 2L * padH)
                    + " (h=" + h + ", pad_h=" + padH + ") exceeds 2^31-1, the limit of 32-bit indexing");
        }
        if ((long) w + 2L * padW > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padded input width w+2*pad_w=" + ((long) w + 2L * padW)
                    + " (w=" + w + ", pad_w=" + padW + ") exceeds 2^31-1, the limit of 32-bit indexing");
        }
        long spanH = (long) dilH * (kh - 1) + 1;
        long spanW = (long) dilW * (kw - 1) + 1;
        if (spanH > (long) h + 2L * padH) {
            throw new IllegalArgumentException("kernel height kh=" + kh + " at dil_h=" + dilH + " spans " + spanH
                    + " rows, more than the padded input height h+2*pad_h=" + ((long) h + 2L * padH));
        }
        if (spanW > (long) w + 2L * padW) {
            throw new IllegalArgumentException("kernel width kw=" + kw + " at dil_w=" + dilW + " spans " + spanW
                    + " columns, more than the padded input width w+2*pad_w=" + ((long) w + 2L * padW));
        }
        if (op == Op.CONV2D) {
            if (offsetGroups != 1) {
                throw new IllegalArgumentException("offset_groups=" + offsetGroups + " is only for deform2d; conv2d takes 1");
            }
            if (mask) {
                throw new IllegalArgumentException("mask=1 is only for deform2d");
            }
        } else if (c % offsetGroups != 0) {
            throw new IllegalArgumentException("offset_groups=" + offsetGroups + " must divide input channels c=" + c);
        }
        // Kernels index with 32-bit ints: every tensor must have fewer than 2^31 elements.
        long oh = ((long) h + 2L * padH - spanH) / strideH + 1;
        long ow = ((long) w + 2L * padW - spanW) / strideW + 1;
        fits("input", (long) n * c * h * w);
        fits("weight", (long) k * (c / groups) * kh * kw);
        fits("output", (long) n * k * oh * ow);
        if (op == Op.DEFORM2D) {
            fits("offset", (long) n * 2L * offsetGroups * kh * kw * oh * ow);
        }
    }

    private static void positive(String field, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(field + "=" + v + " must be at least 1");
        }
    }

    private static void nonNegative(String field, int v) {
        if (v < 0) {
            throw new IllegalArgumentException(field + "=" + v + " must not be negative");
        }
    }

    private static void fits(String tensor, long elements) {
        if (elements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(tensor + " would have " + elements
                    + " elements, more than the 2^31-1 that 32-bit indexing allows");
        }
    }

    // ---------------------------------------------------------------- derived shape values

    /** Output height: floor((h + 2*pad_h - dil_h*(kh-1) - 1) / stride_h) + 1. */
    public int outH() {
        // In long: h + 2*pad_h can pass 2^31 although the output height fits an int.
        return (int) (((long) h + 2L * padH - (long) dilH * (kh - 1) - 1) / strideH + 1);
    }

    /** Output width: floor((w + 2*pad_w - dil_w*(kw-1) - 1) / stride_w) + 1. */
    public int outW() {
        return (int) (((long) w + 2L * padW - (long) dilW * (kw - 1) - 1) / strideW + 1);
    }

    /** Input channels per group. */
    public int cPerGroup() {
        return c / groups;
    }

    /** Output channels per group. */
    public int kPerGroup() {
        return k / groups;
    }

    /** Whether every group has exactly one input channel (depthwise, with multiplier k / c). */
    public boolean isDepthwise() {
        return groups == c;
    }

    public boolean isDeformable() {
        return op == Op.DEFORM2D;
    }

    public int[] inputShape() {
        return new int[] {n, c, h, w};
    }

    public int[] weightShape() {
        return new int[] {k, c / groups, kh, kw};
    }

    public int[] biasShape() {
        return new int[] {k};
    }

    public int[] outputShape() {
        return new int[] {n, k, outH(), outW()};
    }

    /** Offset tensor shape {@code [n, 2*og*kh*kw, oh, ow]}; deform2d only. */
    public int[] offsetShape() {
        return new int[] {n, 2 * offsetGroups * kh * kw, outH(), outW()};
    }

    /** Mask tensor shape {@code [n, og*kh*kw, oh, ow]}; deform2d with mask only. */
    public int[] maskShape() {
        return new int[] {n, offsetGroups * kh * kw, outH(), outW()};
    }

    public long inputSize() {
        return (long) n * c * h * w;
    }

    public long weightSize() {
        return (long) k * (c / groups) * kh * kw;
    }

    public long outputSize() {
        return (long) n * k * outH() * outW();
    }

    public long offsetSize() {
        return (long) n * 2 * offsetGroups * kh * kw * outH() * outW();
    }

    public long maskSize() {
        return (long) n * offsetGroups * kh * kw * outH() * outW();
    }

    /** Multiply-adds counted as two flops each, the convention of the benchmark peers. */
    public double flops() {
        return 2.0 * n * k * outH() * outW() * (double) (c / groups) * kh * kw;
    }

    // ---------------------------------------------------------------- modified copies

    public ConvSpec withBias(boolean b) {
        return new ConvSpec(op, n, c, h, w, k, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
                groups, offsetGroups, mask, b, relu);
    }

    public ConvSpec withRelu(boolean r) {
        return new ConvSpec(op, n, c, h, w, k, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
                groups, offsetGroups, mask, bias, r);
    }

    public ConvSpec withBatch(int batch) {
        return new ConvSpec(op, batch, c, h, w, k, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
                groups, offsetGroups, mask, bias, relu);
    }

    /** The same problem as an ordinary convolution (drops offsets and mask). */
    public ConvSpec asConv2d() {
        return new ConvSpec(Op.CONV2D, n, c, h, w, k, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
                groups, 1, false, bias, relu);
    }

    // ---------------------------------------------------------------- one-line form

    /**
     * The one-line repro, e.g.
     * {@code op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=0 relu=0}.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("op=").append(op.token())
                .append(" n=").append(n).append(" c=").append(c).append(" h=").append(h).append(" w=").append(w)
                .append(" k=").append(k).append(" kh=").append(kh).append(" kw=").append(kw)
                .append(" stride=").append(pair(strideH, strideW))
                .append(" pad=").append(pair(padH, padW))
                .append(" dil=").append(pair(dilH, dilW))
                .append(" groups=").append(groups);
        if (op == Op.DEFORM2D) {
            sb.append(" og=").append(offsetGroups).append(" mask=").append(mask ? 1 : 0);
        }
        sb.append(" bias=").append(bias ? 1 : 0).append(" relu=").append(relu ? 1 : 0);
        return sb.toString();
    }

    private static String pair(int a, int b) {
        return a == b ? Integer.toString(a) : a + "," + b;
    }

    private static final Set<String> KEYS = Set.of("op", "n", "c", "h", "w", "k", "kh", "kw", "stride",
            "pad", "dil", "groups", "og", "mask", "bias", "relu");
    /** Keys a shapes file may carry that are not part of the problem. */
    private static final Set<String> IGNORED_KEYS = Set.of("quick");

    /**
     * Reads the one-line form: whitespace-separated {@code key=value} fields, optionally preceded
     * by a name (a first token without '='), which is ignored. Required: op, n, c, h, w, k, kh, kw.
     * Defaults: stride=1 pad=0 dil=1 groups=1 og=1 mask=0 bias=0 relu=0. stride, pad and dil take
     * one value or {@code h,w}.
     *
     * @throws IllegalArgumentException naming the field when a value is missing, malformed or
     *                                  breaks a rule
     */
    public static ConvSpec parse(String line) {
        Map<String, String> f = fields(line);
        Op op = Op.parse(required(f, "op"));
        int[] stride = pairField(f, "stride", 1);
        int[] pad = pairField(f, "pad", 0);
        int[] dil = pairField(f, "dil", 1);
        return new ConvSpec(op, intField(f, "n"), intField(f, "c"), intField(f, "h"), intField(f, "w"),
                intField(f, "k"), intField(f, "kh"), intField(f, "kw"), stride[0], stride[1], pad[0], pad[1],
                dil[0], dil[1], intField(f, "groups", 1), intField(f, "og", 1), flag(f, "mask"), flag(f, "bias"),
                flag(f, "relu"));
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
            if (!KEYS.contains(key) && !IGNORED_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown field '" + key + "' (known: " + KEYS + ")");
            }
            if (f.put(key, t.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("field '" + key + "' given twice");
            }
        }
        return f;
    }

    private static String required(Map<String, String> f, String key) {
        String v = f.get(key);
        if (v == null) {
            throw new IllegalArgumentException("field '" + key + "' is missing");
        }
        return v;
    }

    private static int parseInt(String key, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "='" + v + "' is not an integer");
        }
    }

    private static int intField(Map<String, String> f, String key) {
        return parseInt(key, required(f, key));
    }

    private static int intField(Map<String, String> f, String key, int dflt) {
        String v = f.get(key);
        return v == null ? dflt : parseInt(key, v);
    }

    private static int[] pairField(Map<String, String> f, String key, int dflt) {
        String v = f.get(key);
        if (v == null) {
            return new int[] {dflt, dflt};
        }
        return parsePair(key, v);
    }

    /** Parses {@code "3"} as (3, 3) and {@code "3,1"} as (3, 1). */
    public static int[] parsePair(String key, String v) {
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

    private static boolean flag(Map<String, String> f, String key) {
        String v = f.getOrDefault(key, "0");
        return switch (v) {
            case "0", "false" -> false;
            case "1", "true" -> true;
            default -> throw new IllegalArgumentException(key + "='" + v + "' must be 0 or 1");
        };
    }

    // ---------------------------------------------------------------- builder

    /** A builder for readable construction: {@code ConvSpec.conv2d().input(1,64,56,56).output(64).kernel(3,3).padding(1).build()}. */
    public static Builder conv2d() {
        return new Builder(Op.CONV2D);
    }

    /** A builder for deformable convolution; set {@link Builder#offsetGroups} and {@link Builder#mask}. */
    public static Builder deform2d() {
        return new Builder(Op.DEFORM2D);
    }

    /**
     * Depthwise convolution: groups = c, k = multiplier * c.
     */
    public static Builder depthwise(int n, int c, int h, int w, int multiplier) {
        return conv2d().input(n, c, h, w).output(multiplier * c).groups(c);
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private final Op op;
        private int n = 1, c, h, w, k, kh = 1, kw = 1;
        private int strideH = 1, strideW = 1, padH, padW, dilH = 1, dilW = 1, groups = 1, offsetGroups = 1;
        private boolean mask, bias, relu;

        private Builder(Op op) {
            this.op = op;
        }

        public Builder input(int n, int c, int h, int w) {
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
            return this;
        }

        public Builder output(int k) {
            this.k = k;
            return this;
        }

        public Builder kernel(int kh, int kw) {
            this.kh = kh;
            this.kw = kw;
            return this;
        }

        public Builder stride(int s) {
            return stride(s, s);
        }

        public Builder stride(int sh, int sw) {
            strideH = sh;
            strideW = sw;
            return this;
        }

        public Builder padding(int p) {
            return padding(p, p);
        }

        public Builder padding(int ph, int pw) {
            padH = ph;
            padW = pw;
            return this;
        }

        public Builder dilation(int d) {
            return dilation(d, d);
        }

        public Builder dilation(int dh, int dw) {
            dilH = dh;
            dilW = dw;
            return this;
        }

        public Builder groups(int g) {
            groups = g;
            return this;
        }

        public Builder offsetGroups(int og) {
            offsetGroups = og;
            return this;
        }

        public Builder mask(boolean m) {
            mask = m;
            return this;
        }

        public Builder bias(boolean b) {
            bias = b;
            return this;
        }

        public Builder relu(boolean r) {
            relu = r;
            return this;
        }

        public ConvSpec build() {
            return new ConvSpec(op, n, c, h, w, k, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups,
                    offsetGroups, mask, bias, relu);
        }
    }
}
