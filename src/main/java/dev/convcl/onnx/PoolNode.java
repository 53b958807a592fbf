package dev.convcl.onnx;

import dev.convcl.Window2d;

import java.util.Locale;

/**
 * 2-D pooling of an NCHW input with PyTorch's semantics (ONNX {@code MaxPool}, {@code AveragePool},
 * {@code GlobalAveragePool}, {@code GlobalMaxPool}, {@code ReduceMean} over the spatial axes, and a
 * zero {@code Pad} folded into the average pool that follows it). With {@code ceilMode}, the output
 * size rounds up, but a window that would start in the bottom or right padding is dropped
 * ({@code torch.nn.MaxPool2d}'s rule). The average divides by the window's size clipped to the
 * padded input when {@code countIncludePad}, else by the number of input elements it covers.
 *
 * @param name            the node's name
 * @param kind            max or average, windowed or global
 * @param input           the input value
 * @param output          the output value
 * @param inputShape      {@code [N, C, H, W]}
 * @param window          kernel, stride, padding, dilation; for the global kinds the whole plane
 *                        ({@code kh = H}, {@code kw = W}, stride 1, no padding)
 * @param ceilMode        whether the output size rounds up
 * @param countIncludePad whether padding counts in an average's divisor
 * @param outputShape     {@code [N, C, OH, OW]}
 */
public record PoolNode(String name, Kind kind, String input, String output, Shape inputShape, Window2d window,
                       boolean ceilMode, boolean countIncludePad, Shape outputShape) implements OneInputNode {
    /** The pooling functions. */
    public enum Kind {
        /** Maximum over a window. */
        MAX,
        /** Average over a window. */
        AVERAGE,
        /** Maximum over the whole plane: output {@code [N, C, 1, 1]}. */
        GLOBAL_MAX,
        /** Average over the whole plane: output {@code [N, C, 1, 1]}. */
        GLOBAL_AVERAGE;

        /** Whether the kind is a max. */
        public boolean isMax() {
            return this == MAX || this == GLOBAL_MAX;
        }

        /** Whether the kind pools the whole plane. */
        public boolean isGlobal() {
            return this == GLOBAL_MAX || this == GLOBAL_AVERAGE;
        }
    }

    /**
     * The output size along one axis with PyTorch's rule: {@code (in + padBegin + padEnd - span) / stride + 1},
     * rounded up with {@code ceil}, less one when the last window would start at or past
     * {@code in + padBegin}.
     */
    public static long outputSize(long in, int kernel, int stride, int padBegin, int padEnd, int dilation, boolean ceil) {
        long span = (long) dilation * (kernel - 1) + 1;
        long room = in + padBegin + padEnd - span;
        long out = (ceil ? Math.floorDiv(room + stride - 1, stride) : Math.floorDiv(room, stride)) + 1;
        if (ceil && (out - 1) * stride >= in + padBegin) {
            out--;
        }
        return out;
    }

    @Override
    public String describe() {
        String k = kind.name().toLowerCase(Locale.ROOT);
        String w = kind.isGlobal() ? "" : " kh=" + window.kh() + " kw=" + window.kw() + " stride=" + window.strideH() + ","
                + window.strideW() + " pad=" + window.padTop() + "," + window.padLeft() + "," + window.padBottom() + ","
                + window.padRight() + " dil=" + window.dilH() + "," + window.dilW() + (ceilMode ? " ceil" : "")
                + (kind == Kind.AVERAGE && countIncludePad ? " count_include_pad" : "");
        return "Pool '" + name + "' " + k + " " + input + " -> " + output + " " + outputShape + w;
    }
}
