package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;

import dev.convcl.Arg;
import dev.convcl.ArgSpec;
import dev.convcl.DataType;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Tensor;
import dev.convcl.spi.Memory;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Device buffers for every argument of one operation, filled with host data: what the tuner and
 * the tests run primitives on directly. {@link #close()} releases them.
 */
final class DeviceArgs implements AutoCloseable {
    private final Map<Arg, DeviceBuffer> buffers = new EnumMap<>(Arg.class);
    private final Map<Arg, int[]> shapes = new EnumMap<>(Arg.class);

    private DeviceArgs() {
    }

    /**
     * Buffers for {@code op} holding integer data in [-L, L], L at most 4 and small enough that
     * every partial sum of a convolution stays below 2^24 in magnitude, so that any summation
     * order gives the same float32 result.
     */
    static DeviceArgs integers(OpenClContext ctx, dev.convcl.Convolution op, long seed) {
        long taps = (long) op.cPerGroup() * op.kh() * op.kw();
        int lim = 4;
        while (lim > 1 && (long) lim * lim * taps + lim >= (1L << 24)) {
            lim--;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        DeviceArgs a = new DeviceArgs();
        try {
            for (ArgSpec spec : op.arguments()) {
                DeviceBuffer b = ctx.allocate(spec.arg().displayName(), spec.size() * DataType.F32.bytes(),
                        OpenClBackend.readSlack(ctx, spec.size() * DataType.F32.bytes()), CL_MEM_READ_WRITE);
                a.buffers.put(spec.arg(), b);
                a.shapes.put(spec.arg(), spec.shape());
                if (!spec.arg().isOutput()) {
                    float[] v = new float[(int) spec.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = rnd.nextInt(-lim, lim + 1);
                    }
                    b.write(Tensor.of(v, spec.shape()));
                }
            }
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        return a;
    }

    /** The arguments as the primitives take them. */
    Map<Arg, Memory> memory() {
        return new EnumMap<>(buffers);
    }

    /** Fills the output with NaN, so that an element a primitive does not write shows. */
    void poisonOutput() {
        float[] nan = new float[(int) (buffers.get(Arg.DST).bytes() / DataType.F32.bytes())];
        Arrays.fill(nan, Float.NaN);
        buffers.get(Arg.DST).write(Tensor.of(nan, shapes.get(Arg.DST)));
    }

    /** Reads the output back (waiting for the queued work). */
    float[] output() {
        HostTensor t = Tensor.zeros(shapes.get(Arg.DST));
        buffers.get(Arg.DST).read(t);
        return t.array();
    }

    @Override
    public void close() {
        buffers.values().forEach(DeviceBuffer::close);
        buffers.clear();
    }

}
