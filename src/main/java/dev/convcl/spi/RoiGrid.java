package dev.convcl.spi;

import dev.convcl.RoiAlign;

/**
 * One RoI's geometry as the kernels compute it ({@code roi_align.cl} and the CPU path's
 * {@code CpuRoiAlign}): in float, in their order of operations, so that the sample grid the
 * descriptor counts ({@link RoiAlign#samples}, {@link RoiAlign#checkRois}) is the grid the kernels
 * take. Double arithmetic gives another grid where {@code size / P} lands just past an integer in
 * double but on it in float: RoI {@code (0, 0, 0, 70, 70)} at scale {@code 0.1f} over 7x7 bins is
 * {@code 7.0000001...} in double ({@code ceil(7.0000001 / 7) = 2}) but {@code 7.0f} in float, one
 * sample a bin.
 *
 * <p>{@code start = x1 * scale - o} (y likewise), {@code size = (x2 * scale - o) - start}, with
 * {@code o = } {@link RoiAlign#pixelShift()}; unaligned roi_align raises each size to at least 1;
 * {@code g = sampling_ratio} when positive, else {@code ceil(size / P)} (zero or negative for a RoI
 * with {@code x2 < x1}: no samples).
 *
 * <p>Internal (the package is not exported).
 *
 * @param startW the RoI's left edge on the map, {@code x1 * scale - o}
 * @param startH its top edge, {@code y1 * scale - o}
 * @param roiW   its width on the map, at least 1 for unaligned roi_align
 * @param roiH   its height on the map, at least 1 for unaligned roi_align
 * @param gh     samples a bin along y: the sampling ratio, or {@code ceil(roiH / PH)} (exact in a
 *               double, not cast to int: it may pass 2^31 before {@link RoiAlign#checkRois} refuses it)
 * @param gw     samples a bin along x, likewise
 */
public record RoiGrid(float startW, float startH, float roiW, float roiH, double gh, double gw) {
    /**
     * RoI {@code k}'s geometry.
     *
     * @param op     the descriptor
     * @param values the RoI tensor's values, {@code [rois, 5]} row-major
     * @param k      the RoI
     * @return its start, size and sample grid
     */
    public static RoiGrid of(RoiAlign op, float[] values, int k) {
        float shift = op.pixelShift(), scale = op.spatialScale();
        float startW = values[k * 5 + 1] * scale - shift;
        float startH = values[k * 5 + 2] * scale - shift;
        float endW = values[k * 5 + 3] * scale - shift;
        float endH = values[k * 5 + 4] * scale - shift;
        float roiW = endW - startW, roiH = endH - startH;
        if (op.kind() == RoiAlign.Kind.ROI_ALIGN && !op.aligned()) {
            roiW = Math.max(roiW, 1f);
            roiH = Math.max(roiH, 1f);
        }
        int sr = op.samplingRatio();
        double gh = sr > 0 ? sr : Math.ceil(roiH / op.outH());
        double gw = sr > 0 ? sr : Math.ceil(roiW / op.outW());
        return new RoiGrid(startW, startH, roiW, roiH, gh, gw);
    }

    /**
     * The samples one bin takes.
     *
     * @return {@code gh * gw}, or 0 when either is zero or negative
     */
    public double binSamples() {
        return Math.max(0, gh) * Math.max(0, gw);
    }
}
