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

    /** Bias, then ReLU ({@code x < 0 ? 0 : x}, which keeps NaN), as the reference does. */
    static float epilogue(float acc, float[] bias, int k, boolean relu) {
        float v = bias != null ? acc + bias[k] : acc;
        return relu && v < 0f ? 0f : v;
    }
}
