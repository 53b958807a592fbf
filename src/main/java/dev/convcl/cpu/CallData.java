package dev.convcl.cpu;

import dev.convcl.Arg;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.spi.Memory;
import java.util.Map;

/**
 * The arrays of one call and the epilogue that finishes each output value. Each call has its
 * own, so plans can run concurrently.
 */
record CallData(float[] in, float[] wt, float[] bias, float[] off, float[] mask, float[] sum, float[] out,
                Epilogue epilogue) {

    static CallData of(Convolution spec, Epilogue epilogue, Map<Arg, Memory> args) {
        boolean deform = spec instanceof DeformConv2d;
        return new CallData(array(args, Arg.SRC), array(args, Arg.WEIGHTS),
                spec.bias() ? array(args, Arg.BIAS) : null,
                deform ? array(args, Arg.OFFSET) : null,
                deform && ((DeformConv2d) spec).mask() ? array(args, Arg.MASK) : null,
                epilogue.hasSum() ? array(args, Arg.SUM) : null,
                array(args, Arg.DST), epilogue);
    }

    /** The same call reading its input from {@code in} (a packer's copy of it). */
    CallData withIn(float[] in) {
        return new CallData(in, wt, bias, off, mask, sum, out, epilogue);
    }

    private static float[] array(Map<Arg, Memory> args, Arg role) {
        Memory m = args.get(role);
        if (m == null) {
            throw new IllegalArgumentException(role.displayName() + " is missing");
        }
        return HostMemory.of(m);
    }

    /**
     * Copies {@code len} accumulated values of output channel {@code k} from {@code src[srcOff..]}
     * to {@code out[dst..]}, then applies the epilogue (bias, post-ops) to them.
     */
    void store(float[] src, int srcOff, int dst, int len, int k) {
        boolean biased = epilogue.hasBias();
        epilogue.store(src, srcOff, out, dst, len, biased, biased ? bias[k] : 0f, sum);
    }

    /**
     * As {@link #store}, for values accumulated from their channel's bias
     * ({@link Workspace#rowsStartingAt} with {@link #bias()}): copies, then applies the post-ops alone.
     */
    void storeBiased(float[] src, int srcOff, int dst, int len) {
        epilogue.store(src, srcOff, out, dst, len, false, 0f, sum);
    }

    /** Applies the epilogue to {@code out[dst .. dst+len)}, values of channel {@code k} computed in place. */
    void finishInPlace(int dst, int len, int k) {
        epilogue.apply(out, dst, len, k, bias, sum);
    }
}
