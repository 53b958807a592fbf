package dev.convcl.cpu;

/**
 * An epilogue a GEMM can finish in its registers ({@link Kernels#gemmInto}): the bias, then
 * nothing, relu, clip, a sum of scale 1, a sum then relu, or hardswish, written straight into the
 * output, with no C tile to zero, accumulate into and copy out. The same float operations in the
 * same order as {@link Epilogue#store} after {@link Kernels#gemm} into a zeroed tile, so the same
 * bits.
 *
 * @param bias the bias tensor (channel k's at {@code bias[k]}), or null for none
 * @param mode {@link #NONE}, {@link #RELU}, {@link #CLIP}, {@link #SUM}, {@link #SUM_RELU} or
 *             {@link #HARDSWISH}
 * @param lo   {@link #CLIP}'s lower bound
 * @param hi   {@link #CLIP}'s upper bound
 * @param sum  the sum tensor, read at the output's indices ({@link #SUM}, {@link #SUM_RELU}), else null
 */
record DirectStore(float[] bias, int mode, float lo, float hi, float[] sum) {
    static final int NONE = 0, RELU = 1, CLIP = 2, SUM = 3, SUM_RELU = 4, HARDSWISH = 5;

    /** E.g. {@code bias+clip[0.0,6.0]}: what the store does, for messages. */
    @Override
    public String toString() {
        String op = switch (mode) {
            case RELU -> "relu";
            case CLIP -> "clip[" + lo + "," + hi + "]";
            case SUM -> "sum";
            case SUM_RELU -> "sum+relu";
            case HARDSWISH -> "hardswish";
            default -> "none";
        };
        return (bias != null ? "bias+" : "") + op;
    }

    /**
     * {@code out[off + j]} for {@code j < len}: {@code src[srcOff + j]}, plus channel {@code k}'s
     * bias, then the post-op, a value at a time.
     */
    void put(float[] src, int srcOff, float[] out, int off, int len, int k) {
        boolean biased = bias != null;
        float b = biased ? bias[k] : 0f;
        for (int j = 0; j < len; j++) {
            float v = biased ? src[srcOff + j] + b : src[srcOff + j];
            out[off + j] = switch (mode) {
                case RELU -> Math.max(v, 0f);
                case CLIP -> Math.min(Math.max(v, lo), hi);
                case SUM -> v + sum[off + j];
                case SUM_RELU -> Math.max(v + sum[off + j], 0f);
                case HARDSWISH -> v * Math.min(Math.max(v / 6f + 0.5f, 0f), 1f);
                default -> v;
            };
        }
    }
}
