package dev.convcl.text;

import java.util.Locale;

/**
 * An RoI whose adaptive sampling grid would take 2^31 samples a bin or more, refused by
 * {@code RoiAlign.checkRois} before any work. It carries the row, its values, the sample count
 * and the spatial scale, so that a caller that knows the scale by another name (the command-line
 * tool's {@code --spatial-scale}, as the user typed it) words the same rule in its own terms with
 * {@link #message(String, String)} instead of editing the library's text.
 *
 * <p>Internal (the package is not exported): thrown by {@code dev.convcl}, reworded by
 * {@code dev.convcl.cli}; a library user sees an {@link IllegalArgumentException}.
 */
public final class AdaptiveSamplingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int row;
    private final float[] values;
    private final double samples;
    private final float spatialScale;

    /**
     * @param row          the RoI's row, from 0
     * @param values       its five values (batch_index, x1, y1, x2, y2), copied
     * @param samples      the samples a bin it would take, 2^31 or more (up to Infinity)
     * @param spatialScale the operator's spatial scale
     */
    public AdaptiveSamplingException(int row, float[] values, double samples, float spatialScale) {
        super(format(row, values, samples, "scale=" + spatialScale, "scale"));
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
     * The message with the scale named as the caller knows it.
     *
     * @param scaleValue the scale and its value as the user gave them, e.g. {@code --spatial-scale 0.0625}
     * @param scaleName  the scale's name alone, e.g. {@code --spatial-scale}
     * @return e.g. {@code rois[0] = (0.0, 0.0, 0.0, 2.0, 2.0): adaptive sampling would take more than
     *         2^63 samples a bin at --spatial-scale 1e11; it must stay below 2^31 (give sr > 0, a
     *         smaller RoI or a smaller --spatial-scale)}
     */
    public String message(String scaleValue, String scaleName) {
        return format(row, values, samples, scaleValue, scaleName);
    }

    private static String format(int row, float[] v, double samples, String scaleValue, String scaleName) {
        return String.format(Locale.ROOT, "rois[%d] = (%s, %s, %s, %s, %s): adaptive sampling would take %s samples a "
                + "bin at %s; it must stay below 2^31 (give sr > 0, a smaller RoI or a smaller %s)", row, v[0], v[1],
                v[2], v[3], v[4], samples >= 0x1p63 ? "more than 2^63" : "about " + (long) samples, scaleValue,
                scaleName);
    }
}
