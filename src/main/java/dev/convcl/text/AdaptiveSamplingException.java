package dev.convcl.text;

import java.util.Locale;

/**
 * An RoI whose adaptive sampling grid would take 2^31 samples a bin or more, refused by
 * {@code RoiAlign.checkRois} before any work. It carries the row, its values, the sample count
 * and the spatial scale, so that a caller that knows the parameters by other names (the
 * command-line tool's {@code --spatial-scale}, as the user typed it, and {@code --sampling-ratio};
 * an ONNX model's RoiAlign attributes {@code spatial_scale} and {@code sampling_ratio}, whose
 * {@code rois} are boxes without the batch index) words the same rule in its own terms with
 * {@link #message(String, String, String, boolean)} instead of editing the library's text.
 *
 * <p>Internal (the package is not exported): thrown by {@code dev.convcl}, reworded by
 * {@code dev.convcl.cli} and for graphs imported from ONNX; a library user sees an
 * {@link IllegalArgumentException}.
 */
public final class AdaptiveSamplingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The RoI's row, from 0. */
    private final int row;
    /** Its five values (batch_index, x1, y1, x2, y2). */
    private final float[] values;
    /** The samples a bin it would take. */
    private final double samples;
    /** The operator's spatial scale. */
    private final float spatialScale;

    /**
     * @param row          the RoI's row, from 0
     * @param values       its five values (batch_index, x1, y1, x2, y2), copied
     * @param samples      the samples a bin it would take, 2^31 or more (up to Infinity)
     * @param spatialScale the operator's spatial scale
     */
    public AdaptiveSamplingException(int row, float[] values, double samples, float spatialScale) {
        super(format(row, values, false, samples, "scale=" + spatialScale, "scale", "sr"));
        this.row = row;
        this.values = values.clone();
        this.samples = samples;
        this.spatialScale = spatialScale;
    }

    /** @return the RoI's row, from 0 */
    public int row() {
        return row;
    }

    /** @return the operator's spatial scale */
    public float spatialScale() {
        return spatialScale;
    }

    /**
     * The message with the parameters named as the caller knows them.
     *
     * @param scaleValue the scale and its value as the user gave them, e.g. {@code --spatial-scale 0.0625}
     * @param scaleName  the scale's name alone, e.g. {@code --spatial-scale}
     * @param ratioName  the sampling ratio's name, e.g. {@code --sampling-ratio}
     * @param boxOnly    whether the caller's rows are boxes {@code (x1, y1, x2, y2)}, the batch index
     *                   given apart (ONNX's RoiAlign), rather than {@code (batch_index, x1, y1, x2, y2)}
     * @return e.g. {@code rois[0] = (0.0, 0.0, 0.0, 2.0, 2.0): adaptive sampling would take more than
     *         2^63 samples a bin at --spatial-scale 1e11; it must stay below 2^31 (give
     *         --sampling-ratio > 0, a smaller RoI or a smaller --spatial-scale)}
     */
    public String message(String scaleValue, String scaleName, String ratioName, boolean boxOnly) {
        return format(row, values, boxOnly, samples, scaleValue, scaleName, ratioName);
    }

    private static String format(int row, float[] v, boolean boxOnly, double samples, String scaleValue,
                                 String scaleName, String ratioName) {
        StringBuilder roi = new StringBuilder();
        for (int j = boxOnly ? 1 : 0; j < 5; j++) {
            roi.append(roi.length() == 0 ? "" : ", ").append(v[j]);
        }
        return String.format(Locale.ROOT, "rois[%d] = (%s): adaptive sampling would take %s samples a bin at %s; it "
                + "must stay below 2^31 (give %s > 0, a smaller RoI or a smaller %s)", row, roi,
                samples >= 0x1p63 ? "more than 2^63" : "about " + (long) samples, scaleValue, ratioName, scaleName);
    }
}
