package dev.convcl;

import dev.convcl.spi.RoiGrid;
import dev.convcl.text.AdaptiveSamplingException;
import dev.convcl.text.FieldException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Region-of-interest pooling by bilinear sampling, three operators in one record (selected by
 * {@link Kind}), each with its peer's semantics:
 *
 * <ul>
 *   <li>{@link Kind#ROI_ALIGN}: {@code torchvision.ops.roi_align(input, rois, output_size,
 *       spatial_scale, sampling_ratio, aligned)}.</li>
 *   <li>{@link Kind#PS_ROI_ALIGN}: {@code torchvision.ops.ps_roi_align(input, rois, output_size,
 *       spatial_scale, sampling_ratio)}: output channel {@code co} of bin {@code (i, j)} reads input
 *       channel {@code (co * PH + i) * PW + j}, so {@code c = c_out * PH * PW}.</li>
 *   <li>{@link Kind#DEFORM_ROI_POOL}: mmcv's {@code deform_roi_pool(input, rois, offset,
 *       output_size, spatial_scale, sampling_ratio, gamma)}, optionally followed by the modulated
 *       variant's product with a mask given by the caller (mmcv's {@code ModulatedDeformRoIPoolPack}
 *       multiplies by its own sigmoid-ed prediction; here the mask is taken as given).</li>
 * </ul>
 *
 * <p>Each RoI row is {@code (batch_index, x1, y1, x2, y2)} in input-image coordinates; the batch
 * index is truncated toward zero, as the peers do. For RoI {@code k}: {@code start = x1 * scale - o}
 * (y likewise), {@code size = x2 * scale - o - start}, with {@code o = 0.5} for aligned roi_align,
 * ps_roi_align and deform_roi_pool, and {@code o = 0} for unaligned roi_align, whose sizes are
 * then raised to at least 1. Bin {@code (i, j)} is {@code size / P} wide; it averages a grid of
 * {@code gh x gw} samples ({@code g = sampling_ratio} when positive, else
 * {@code ceil(size / P)}, adaptive) at {@code y = start_y + i * bin_h + (iy + 0.5) * bin_h / gh};
 * the sum is divided by {@code max(gh * gw, 1)} (roi_align, deform_roi_pool) or {@code gh * gw}
 * (ps_roi_align: a zero-sized RoI with adaptive sampling gives NaN, as torchvision does). A grid
 * of zero or fewer samples (a RoI with {@code x2 < x1}) takes none: the bin is 0 (torchvision's CUDA
 * kernel; its CPU kernel raises an error for aligned roi_align there). For deform_roi_pool the bin
 * is first shifted by {@code gamma * size_x * offset[k, 0, i, j]} in x and
 * {@code gamma * size_y * offset[k, 1, i, j]} in y (x first, mmcv's order).
 *
 * <p>Bilinear sampling, the peers' rule: a point with {@code y < -1}, {@code y > H}, {@code x < -1}
 * or {@code x > W} is 0; otherwise a negative coordinate is clamped to 0, and one at or past the
 * last row or column reads that row or column. A NaN offset gives a NaN bin.
 *
 * <p>Arguments ({@link #arguments()}): {@link Arg#SRC} {@code [n, c, h, w]}, {@link Arg#ROIS}
 * {@code [rois, 5]}, for deform_roi_pool {@link Arg#OFFSET} {@code [rois, 2, PH, PW]} (when
 * {@code offset}) and {@link Arg#MASK} {@code [rois, 1, PH, PW]} (when {@code mask}), and
 * {@link Arg#DST} {@code [rois, c_out, PH, PW]} ({@code c_out = c}, or {@code c / (PH * PW)} for
 * ps_roi_align). The RoI values are checked on the host before any work ({@link #checkRois}):
 * finite coordinates, batch indices in range, and a finite {@code size} in float (no overflow). A
 * descriptor has at least one RoI: with none the output {@code [0, c_out, PH, PW]} is empty and
 * there is nothing to run.
 *
 * <p>One-line form: {@code op=roi_align n= c= h= w= rois= ph= pw= scale= sr= aligned=0|1},
 * {@code op=ps_roi_align n= c= h= w= rois= ph= pw= scale= sr=},
 * {@code op=deform_roi_pool n= c= h= w= rois= ph= pw= scale= sr= gamma= offset=0|1 mask=0|1}.
 *
 * @param kind          which operator
 * @param n             batch size of the input, at least 1
 * @param c             input channels, at least 1 (a multiple of {@code outH * outW} for ps_roi_align)
 * @param h             input height, at least 1
 * @param w             input width, at least 1
 * @param rois          number of RoIs {@code K}, at least 1
 * @param outH          output height {@code PH} (torchvision's {@code output_size[0]}), at least 1
 * @param outW          output width {@code PW}, at least 1
 * @param spatialScale  the factor from image coordinates to input coordinates (e.g. 1/16), finite and positive
 * @param samplingRatio samples per bin along each axis; 0 or less: adaptive (deform_roi_pool: 0 only)
 * @param aligned       torchvision's {@code aligned} (roi_align only; false for the others)
 * @param gamma         mmcv's {@code gamma}, the offsets' scale (deform_roi_pool only; 0 for the others)
 * @param offset        whether an offset tensor is read (deform_roi_pool only)
 * @param mask          whether a mask tensor multiplies each bin (deform_roi_pool only)
 * @param dataType      the element type
 * @param direction     the pass
 */
public record RoiAlign(Kind kind, int n, int c, int h, int w, int rois, int outH, int outW, float spatialScale,
                       int samplingRatio, boolean aligned, float gamma, boolean offset, boolean mask, DataType dataType,
                       Direction direction) implements Operation {

    /**
     * The largest fixed sampling ratio: {@code sr * sr} samples a bin stay below 2^31, so the
     * kernels' per-bin count (an {@code int}, the mean's divisor) cannot overflow; the same bound
     * {@link #checkRois} applies to adaptive sampling. torchvision has none.
     */
    public static final int MAX_SAMPLING_RATIO = 46_340;

    static final Set<String> KEYS = Set.of("op", "n", "c", "h", "w", "rois", "ph", "pw", "scale", "sr", "aligned",
            "gamma", "offset", "mask", "dt", "dir");

    /** The operator. */
    public enum Kind {
        /** {@code torchvision.ops.roi_align}. */
        ROI_ALIGN,
        /** {@code torchvision.ops.ps_roi_align}. */
        PS_ROI_ALIGN,
        /** mmcv's {@code deform_roi_pool} (and the modulated variant, with a mask). */
        DEFORM_ROI_POOL;

        /**
         * The {@code op=} token.
         *
         * @return {@code roi_align}, {@code ps_roi_align} or {@code deform_roi_pool}
         */
        public String token() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Checks every rule (see the class comment).
     *
     * @param kind          which operator, not null
     * @param n             batch size, at least 1
     * @param c             input channels, at least 1; a multiple of {@code outH * outW} for ps_roi_align
     * @param h             input height, at least 1
     * @param w             input width, at least 1
     * @param rois          number of RoIs, at least 1
     * @param outH          output height, at least 1
     * @param outW          output width, at least 1
     * @param spatialScale  finite and positive
     * @param samplingRatio samples per bin and axis, at most {@link #MAX_SAMPLING_RATIO}; 0 or less adaptive
     *                      (deform_roi_pool: not negative)
     * @param aligned       roi_align only
     * @param gamma         deform_roi_pool only (0 otherwise), finite
     * @param offset        deform_roi_pool only
     * @param mask          deform_roi_pool only
     * @param dataType      the element type, not null
     * @param direction     the pass, not null
     * @throws IllegalArgumentException naming the field, its value and the rule, e.g.
     *                                  {@code c=10 must be a multiple of ph*pw=4 for ps_roi_align}
     */
    public RoiAlign {
        if (kind == null || dataType == null || direction == null) {
            throw new IllegalArgumentException("kind, dataType and direction must not be null");
        }
        OneLine.positiveNchw(n, c, h, w);
        OneLine.positive("rois", rois);
        OneLine.positive("ph", outH);
        OneLine.positive("pw", outW);
        checkScale(spatialScale, Float.toString(spatialScale));
        if (aligned && kind != Kind.ROI_ALIGN) {
            throw new IllegalArgumentException("aligned=1 applies to roi_align only (" + kind.token()
                    + " always shifts by -0.5)");
        }
        if (kind != Kind.DEFORM_ROI_POOL && (offset || mask || gamma != 0f)) {
            throw new IllegalArgumentException("offset, mask and gamma apply to deform_roi_pool only, not "
                    + kind.token());
        }
        if (kind == Kind.DEFORM_ROI_POOL) {
            if (samplingRatio < 0) {
                throw new FieldException("sr", "sampling_ratio", samplingRatio, "must be 0 (adaptive) or positive for "
                        + "deform_roi_pool");
            }
            checkGamma(gamma, Float.toString(gamma));
        }
        if (samplingRatio > MAX_SAMPLING_RATIO) {
            throw new FieldException("sr", "sampling_ratio", samplingRatio, "must be at most " + MAX_SAMPLING_RATIO
                    + ": a bin's grid of samples, the ratio squared, must stay below 2^31");
        }
        long bins = (long) outH * outW;
        if (kind == Kind.PS_ROI_ALIGN && c % bins != 0) {
            throw new FieldException("c", null, c, "must be a multiple of ph*pw=" + bins
                    + " for ps_roi_align (c = c_out * ph * pw)");
        }
        OneLine.fits("input", n, c, h, w);
        OneLine.fits("output", rois, kind == Kind.PS_ROI_ALIGN ? c / bins : c, bins);
        OneLine.fits("rois", rois, 5);
        if (offset) {
            OneLine.fits("offset", rois, 2, bins); // only deform_roi_pool with offsets has the tensor
        }
    }

    /**
     * {@code torchvision.ops.roi_align(input, rois, (outH, outW), spatialScale, samplingRatio, aligned)}.
     *
     * @param n             batch size
     * @param c             channels
     * @param h             input height
     * @param w             input width
     * @param rois          number of RoIs
     * @param outH          output height
     * @param outW          output width
     * @param spatialScale  image to input coordinates
     * @param samplingRatio samples per bin and axis, 0 or less adaptive
     * @param aligned       shift by -0.5 pixel
     * @return the descriptor
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public static RoiAlign roiAlign(int n, int c, int h, int w, int rois, int outH, int outW, float spatialScale,
                                    int samplingRatio, boolean aligned) {
        return new RoiAlign(Kind.ROI_ALIGN, n, c, h, w, rois, outH, outW, spatialScale, samplingRatio, aligned, 0f,
                false, false, DataType.F32, Direction.FORWARD);
    }

    /**
     * {@code torchvision.ops.ps_roi_align(input, rois, (outH, outW), spatialScale, samplingRatio)}.
     *
     * @param n             batch size
     * @param c             channels, a multiple of {@code outH * outW}
     * @param h             input height
     * @param w             input width
     * @param rois          number of RoIs
     * @param outH          output height
     * @param outW          output width
     * @param spatialScale  image to input coordinates
     * @param samplingRatio samples per bin and axis, 0 or less adaptive
     * @return the descriptor
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public static RoiAlign psRoiAlign(int n, int c, int h, int w, int rois, int outH, int outW, float spatialScale,
                                      int samplingRatio) {
        return new RoiAlign(Kind.PS_ROI_ALIGN, n, c, h, w, rois, outH, outW, spatialScale, samplingRatio, false, 0f,
                false, false, DataType.F32, Direction.FORWARD);
    }

    /**
     * mmcv's {@code deform_roi_pool(input, rois, offset, (outH, outW), spatialScale, samplingRatio, gamma)},
     * times a mask when {@code mask}.
     *
     * @param n             batch size
     * @param c             channels
     * @param h             input height
     * @param w             input width
     * @param rois          number of RoIs
     * @param outH          output height
     * @param outW          output width
     * @param spatialScale  image to input coordinates
     * @param samplingRatio samples per bin and axis, 0 adaptive
     * @param gamma         the offsets' scale
     * @param offset        whether an offset tensor {@code [rois, 2, outH, outW]} is read
     * @param mask          whether a mask {@code [rois, 1, outH, outW]} multiplies each bin
     * @return the descriptor
     * @throws IllegalArgumentException naming the field, its value and the rule
     */
    public static RoiAlign deformRoiPool(int n, int c, int h, int w, int rois, int outH, int outW, float spatialScale,
                                         int samplingRatio, float gamma, boolean offset, boolean mask) {
        return new RoiAlign(Kind.DEFORM_ROI_POOL, n, c, h, w, rois, outH, outW, spatialScale, samplingRatio, false,
                gamma, offset, mask, DataType.F32, Direction.FORWARD);
    }

    /**
     * The same operator on another number of RoIs.
     *
     * @param k the number of RoIs, at least 1
     * @return the descriptor
     * @throws IllegalArgumentException when {@code k} breaks a rule
     */
    public RoiAlign withRois(int k) {
        return new RoiAlign(kind, n, c, h, w, k, outH, outW, spatialScale, samplingRatio, aligned, gamma, offset, mask,
                dataType, direction);
    }

    @Override
    public String name() {
        return kind.token();
    }

    /**
     * Output channels.
     *
     * @return {@code c}, or {@code c / (outH * outW)} for ps_roi_align
     */
    public int outC() {
        return kind == Kind.PS_ROI_ALIGN ? c / (outH * outW) : c;
    }

    /**
     * The offset subtracted from scaled RoI corners.
     *
     * @return 0.5, or 0 for unaligned roi_align
     */
    public float pixelShift() {
        return kind == Kind.ROI_ALIGN && !aligned ? 0f : 0.5f;
    }

    /**
     * The output's shape.
     *
     * @return {@code [rois, outC, outH, outW]}
     */
    public int[] outputShape() {
        return new int[] {rois, outC(), outH, outW};
    }

    @Override
    public List<ArgSpec> arguments() {
        List<ArgSpec> a = new ArrayList<>();
        a.add(new ArgSpec(Arg.SRC, new int[] {n, c, h, w}, "[N, C, H, W]"));
        a.add(new ArgSpec(Arg.ROIS, new int[] {rois, 5}, "[K, 5] (batch_index, x1, y1, x2, y2)"));
        if (offset) {
            a.add(new ArgSpec(Arg.OFFSET, new int[] {rois, 2, outH, outW}, "[K, 2, PH, PW] (dx, dy)"));
        }
        if (mask) {
            a.add(new ArgSpec(Arg.MASK, new int[] {rois, 1, outH, outW}, "[K, 1, PH, PW]"));
        }
        a.add(new ArgSpec(Arg.DST, outputShape(), kind == Kind.PS_ROI_ALIGN ? "[K, C/(PH*PW), PH, PW]"
                : "[K, C, PH, PW]"));
        return List.copyOf(a);
    }

    /**
     * Two operations per bilinear tap (four taps a sample) at the fixed sampling ratio, or at 2x2
     * samples a bin when adaptive (the count depends on the RoIs).
     */
    @Override
    public double flops() {
        int g = samplingRatio > 0 ? samplingRatio : 2;
        return (double) rois * outC() * outH * outW * g * g * 8;
    }

    /**
     * Checks the RoI values, on the host, before any work: each row's coordinates are finite, its
     * batch index, truncated toward zero, lies in {@code [0, n)}, and its width and height on the
     * input are finite as the kernels compute them in float ({@code (x2 * scale - o) - (x1 * scale
     * - o)}, the class comment's {@code size}: finite coordinates can still overflow, e.g.
     * {@code (0, -3e38, -3e38, 3e38, 3e38)}, whose bins would be NaN at any sampling ratio); with
     * adaptive sampling, a bin's sample grid stays below 2^31 samples, the grid counted as the
     * kernels size it ({@link RoiGrid}, in float), so that the check refuses exactly the grids whose
     * count would overflow the kernels' int.
     *
     * @param values the {@link Arg#ROIS} tensor's values, {@code rois * 5} of them, row-major
     *               ({@code [rois, 5]}: batch_index, x1, y1, x2, y2)
     * @throws IllegalArgumentException when {@code values} does not hold {@code rois * 5} values,
     *                                  or naming the row, the value and the rule, e.g.
     *                                  {@code rois[3, 0] = 2.0: batch index must be in [0, 2) (n=2)} or
     *                                  {@code rois[0] = (0.0, -3.0E38, -3.0E38, 3.0E38, 3.0E38): its width,
     *                                  x2 - x1 times the spatial scale in float, is Infinity; a RoI's
     *                                  width and height must be finite}; an
     *                                  {@link dev.convcl.text.AdaptiveSamplingException} (internal, an
     *                                  IllegalArgumentException) for a grid of 2^31 samples or more
     */
    public void checkRois(float[] values) {
        if (values.length != rois * 5) {
            throw new IllegalArgumentException("rois has " + values.length + " values; [" + rois + ", 5] needs "
                    + rois * 5);
        }
        for (int k = 0; k < rois; k++) {
            for (int j = 0; j < 5; j++) {
                float v = values[k * 5 + j];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("rois[" + k + ", " + j + "] = " + v + ": "
                            + (j == 0 ? "the batch index" : "every coordinate") + " must be finite");
                }
            }
            float b = values[k * 5];
            if (!(b > -1f && b < n)) {
                throw new IllegalArgumentException("rois[" + k + ", 0] = " + b + ": batch index must be in [0, " + n
                        + ") (n=" + n + ")");
            }
            // as the kernels compute it, in float: a finite box can overflow (and scaling can too)
            float shift = pixelShift();
            float width = (values[k * 5 + 3] * spatialScale - shift) - (values[k * 5 + 1] * spatialScale - shift);
            float height = (values[k * 5 + 4] * spatialScale - shift) - (values[k * 5 + 2] * spatialScale - shift);
            if (!Float.isFinite(width) || !Float.isFinite(height)) {
                boolean w = !Float.isFinite(width);
                throw new IllegalArgumentException("rois[" + k + "] = (" + values[k * 5] + ", " + values[k * 5 + 1] + ", "
                        + values[k * 5 + 2] + ", " + values[k * 5 + 3] + ", " + values[k * 5 + 4] + "): its "
                        + (w ? "width, x2 - x1" : "height, y2 - y1") + " times the spatial scale in float, is "
                        + (w ? width : height) + "; a RoI's width and height must be finite");
            }
            if (samplingRatio <= 0) {
                // the grid the kernels take (RoiGrid, in float as they size it), not an estimate: one
                // in double, with margins, refused grids that fit (46340 x 46340 a bin at 463400 x
                // 463400 and scale 0.1f: 46341 x 46341 in double)
                double samples = RoiGrid.of(this, values, k).binSamples();
                if (samples > Integer.MAX_VALUE) {
                    throw new AdaptiveSamplingException(k, Arrays.copyOfRange(values, k * 5, k * 5 + 5), samples,
                            spatialScale);
                }
            }
        }
    }

    /**
     * The bilinear samples one call takes on the RoIs {@code values}: for each RoI,
     * {@code outC * outH * outW} bins of {@code gh * gw} samples ({@code gh = gw = samplingRatio}
     * when positive, else {@code ceil(roi_h / outH)} and {@code ceil(roi_w / outW)} from the RoI's
     * scaled size, as the class comment says; a grid of zero or fewer samples counts 0), summed over
     * the RoIs. The sizes are computed in float, in the kernels' order of operations, so the count
     * is the one the kernels take, also where {@code size / P} lands on an integer in float but just
     * past it in double. Each sample is four taps and their blend; the count measures a call's work,
     * which the RoIs' values set when sampling is adaptive. The library runs any count; the
     * command-line tool's {@code run} refuses one above its {@code --max-samples} before any work.
     *
     * <p>The RoIs must be finite, as {@link #checkRois} requires (a NaN or infinite value has no
     * count); their batch indices are not checked here.
     *
     * @param values the {@link Arg#ROIS} tensor's values, {@code rois * 5} of them, row-major
     * @return the number of samples, as a double (it can pass 2^63 for huge RoIs)
     * @throws IllegalArgumentException when {@code values} does not hold {@code rois * 5} values, or
     *                                  holds a NaN or infinite one, naming its row, column and value,
     *                                  e.g. {@code rois[1, 3] = NaN: every coordinate must be finite}
     */
    public double samples(float[] values) {
        if (values.length != rois * 5) {
            throw new IllegalArgumentException("rois has " + values.length + " values; [" + rois + ", 5] needs "
                    + rois * 5);
        }
        for (int k = 0; k < rois * 5; k++) {
            if (!Float.isFinite(values[k])) {
                throw new IllegalArgumentException("rois[" + k / 5 + ", " + k % 5 + "] = " + values[k] + ": "
                        + (k % 5 == 0 ? "the batch index" : "every coordinate") + " must be finite");
            }
        }
        double bins = (double) outC() * outH * outW;
        if (samplingRatio > 0) {
            return rois * bins * samplingRatio * samplingRatio;
        }
        double total = 0;
        for (int k = 0; k < rois; k++) {
            total += bins * RoiGrid.of(this, values, k).binSamples();
        }
        return total;
    }

    /** {@code op=roi_align n=2 c=256 h=50 w=68 rois=300 ph=7 pw=7 scale=0.0625 sr=2 aligned=1}. */
    @Override
    public String toString() {
        String s = "op=" + kind.token() + " n=" + n + " c=" + c + " h=" + h + " w=" + w + " rois=" + rois + " ph=" + outH
                + " pw=" + outW + " scale=" + spatialScale + " sr=" + samplingRatio;
        return switch (kind) {
            case ROI_ALIGN -> s + " aligned=" + (aligned ? 1 : 0);
            case PS_ROI_ALIGN -> s;
            case DEFORM_ROI_POOL -> s + " gamma=" + gamma + " offset=" + (offset ? 1 : 0) + " mask=" + (mask ? 1 : 0);
        };
    }

    /**
     * Reads the one-line form (see the class comment).
     *
     * @param line e.g. {@code op=roi_align n=1 c=8 h=32 w=32 rois=4 ph=7 pw=7 scale=0.25 sr=2 aligned=1}
     * @return the descriptor
     * @throws IllegalArgumentException when the line is not an RoI operator or breaks a rule
     */
    public static RoiAlign parse(String line) {
        Operation op = Operation.parse(line);
        if (!(op instanceof RoiAlign r)) {
            throw new IllegalArgumentException("not roi_align, ps_roi_align or deform_roi_pool: " + line);
        }
        return r;
    }

    static RoiAlign fromFields(Kind kind, Map<String, String> f) {
        OneLine.checkKeys(f, KEYS);
        if (kind != Kind.ROI_ALIGN && f.containsKey("aligned")) {
            throw new IllegalArgumentException("aligned applies to roi_align only");
        }
        int[] s = OneLine.nchw(f);
        int rois = OneLine.intField(f, "rois");
        int ph = OneLine.intField(f, "ph");
        int pw = OneLine.intField(f, "pw");
        float scale = OneLine.floatField(f, "scale", 1f);
        int sr = OneLine.intField(f, "sr", kind == Kind.ROI_ALIGN || kind == Kind.PS_ROI_ALIGN ? -1 : 0);
        boolean aligned = OneLine.flag(f, "aligned");
        float gamma = OneLine.floatField(f, "gamma", kind == Kind.DEFORM_ROI_POOL ? 0.1f : 0f);
        // the float fields' rules here, so that they name the values as typed (inf, -0), not as
        // Java prints the floats read (Infinity, -0.0); the constructor checks them again
        if (f.containsKey("scale")) {
            checkScale(scale, f.get("scale").strip());
        }
        if (kind == Kind.DEFORM_ROI_POOL && f.containsKey("gamma")) {
            checkGamma(gamma, f.get("gamma").strip());
        }
        return new RoiAlign(kind, s[0], s[1], s[2], s[3], rois, ph, pw, scale, sr, aligned, gamma,
                OneLine.flag(f, "offset"), OneLine.flag(f, "mask"), OneLine.dataType(f), OneLine.direction(f));
    }

    /** {@code scale}'s rule, the value named by {@code text}. */
    private static void checkScale(float scale, String text) {
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new FieldException("scale", "spatial_scale", text, "must be finite and positive");
        }
    }

    /** {@code gamma}'s rule (deform_roi_pool), the value named by {@code text}. */
    private static void checkGamma(float gamma, String text) {
        if (!Float.isFinite(gamma)) {
            throw new FieldException("gamma", null, text, "must be finite");
        }
    }
}
