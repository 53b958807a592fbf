package dev.convcl.cpu;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;

/**
 * The arrays of one call: inputs as Java arrays (copied only when a tensor wraps a buffer) and the
 * array the output is computed into. Each call has its own, so plans can run concurrently.
 */
record CallData(float[] in, float[] wt, float[] bias, float[] off, float[] mask, float[] out) {

    static CallData of(ConvSpec spec, ConvArgs args) {
        return new CallData(args.input().hasArray() ? args.input().array() : args.input().toArray(),
                args.weight().hasArray() ? args.weight().array() : args.weight().toArray(),
                spec.bias() ? args.bias().toArray() : null,
                spec.isDeformable() ? (args.offset().hasArray() ? args.offset().array() : args.offset().toArray()) : null,
                spec.mask() ? (args.mask().hasArray() ? args.mask().array() : args.mask().toArray()) : null,
                args.output().hasArray() ? args.output().array() : new float[args.output().size()]);
    }

    /** Copies the result into the output tensor when it wraps a buffer rather than this array. */
    void finish(ConvArgs args) {
        if (!args.output().hasArray()) {
            args.output().copyFrom(out);
        }
    }

    /**
     * Copies {@code len} accumulated values of output channel {@code k} from {@code src[srcOff..]}
     * to {@code out[dst..]}, adding the bias, then ReLU ({@code x < 0 ? 0 : x}, which keeps NaN),
     * as the reference does. A copy, then loops over one array each, so C2 vectorizes them.
     */
    void store(float[] src, int srcOff, int dst, int len, int k, boolean relu) {
        System.arraycopy(src, srcOff, out, dst, len);
        if (bias != null) {
            addBias(out, dst, len, bias[k]);
        }
        if (relu) {
            relu(out, dst, len);
        }
    }

    private static void addBias(float[] a, int off, int len, float b) {
        for (int i = 0; i < len; i++) {
            a[off + i] += b;
        }
    }

    private static void relu(float[] a, int off, int len) {
        for (int i = 0; i < len; i++) {
            float v = a[off + i];
            a[off + i] = v < 0f ? 0f : v;
        }
    }
}
