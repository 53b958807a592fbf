package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.ChannelCopy;
import java.util.Map;

/**
 * {@code channel_copy.cl}: a channel range of each batch element, one contiguous run, VW elements
 * per work-item; with a destination step above 1 the run's planes land that many planes apart, a
 * plane or a chunk of one ({@link #cpuChunk}) per work-item on a CPU-like device (in vectors of its
 * native width), a vector of a plane elsewhere.
 */
final class ChannelCopyPlan extends OpKernelPlan<ChannelCopy> {
    private final int vw;
    private final int chunk;

    ChannelCopyPlan(OpenClContext ctx, ChannelCopy op) {
        this(ctx, op, op.dstStep() == 1 ? width(ctx.info(), run(op))
                : DeviceProfile.of(ctx.info()).cpuLike() ? GemmDefaults.nativeWidth(ctx.info())
                : width(ctx.info(), plane(op)));
    }

    /**
     * With vectors of {@code vw} (1 to 16; other widths only build, for the build check): each
     * work-item one vector of the run when the destination step is 1 ({@code vw} dividing
     * count*H*W); otherwise a chunk of a plane ({@link #cpuChunk}) on a CPU-like device, any
     * {@code vw}, and one vector of a plane on other devices ({@code vw} dividing H*W).
     */
    ChannelCopyPlan(OpenClContext ctx, ChannelCopy op, int vw) {
        this(ctx, op, vw, op.dstStep() > 1 && DeviceProfile.of(ctx.info()).cpuLike() ? cpuChunk(plane(op), vw) : vw);
    }

    /** Planes of up to this many elements go whole to a CPU-like device's work-item (Inception's 17x17, ShuffleNet's 14x14). */
    static final int WHOLE_PLANE = 320;

    /**
     * A CPU-like device's chunk of a plane of {@code plane} elements: the whole plane up to
     * {@link #WHOLE_PLANE}; else the smallest divisor of the plane of at least 64 elements, a
     * multiple of {@code vw} where one exists (so a 64-wide work-group of chunks spreads over
     * several cores: ShuffleNet's 58 planes of 28x28 in whole planes were one work-group, 22-29 us
     * on POCL); the whole plane again when no divisor below it has 64 elements or more (19x19).
     */
    static int cpuChunk(int plane, int vw) {
        if (plane <= WHOLE_PLANE) {
            return plane;
        }
        for (int d = (64 + vw - 1) / vw * vw; d < plane; d += vw) {
            if (plane % d == 0) {
                return d;
            }
        }
        for (int d = 64; d < plane; d++) {
            if (plane % d == 0) {
                return d;
            }
        }
        return plane;
    }

    /**
     * A strided copy ({@code dstStep > 1}) whose work-items move {@code chunk} elements of a plane
     * in vectors of {@code vw}, whatever the device ({@code chunk} dividing H*W): tests run the GPU
     * form ({@code chunk == vw}) on a CPU device with it.
     */
    static ChannelCopyPlan strided(OpenClContext ctx, ChannelCopy op, int vw, int chunk) {
        if (op.dstStep() == 1 || plane(op) % chunk != 0) {
            throw new IllegalArgumentException("chunks of " + chunk + " need a destination step above 1 and must divide"
                    + " the plane's " + plane(op) + " elements");
        }
        return new ChannelCopyPlan(ctx, op, vw, chunk);
    }

    private ChannelCopyPlan(OpenClContext ctx, ChannelCopy op, int vw, int chunk) {
        super(ctx, op, "channel_copy.cl", "channel_copy", options(op, vw, chunk),
                op.n() * run(op) / (op.dstStep() == 1 ? vw : chunk));
        this.vw = vw;
        this.chunk = chunk;
    }

    private static KernelOptions options(ChannelCopy op, int vw, int chunk) {
        KernelOptions o = KernelOptions.of(op.dataType()).define("VW", vw);
        return op.dstStep() == 1 ? o : o.define("DST_STRIDED", 1).define("CHUNK", chunk);
    }

    private static int plane(ChannelCopy op) {
        return op.h() * op.w();
    }

    /** Elements copied per batch element. */
    private static long run(ChannelCopy op) {
        return (long) op.count() * op.h() * op.w();
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        int plane = plane(spec);
        int perItem = spec.dstStep() == 1 ? vw : chunk;
        int items = (int) (run(spec) / perItem);
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.DST)).arg(2, spec.srcStart() * plane)
                .arg(3, spec.srcChannels() * plane).arg(4, spec.dstStart() * plane).arg(5, spec.dstChannels() * plane)
                .arg(6, items).arg(7, spec.n() * items).arg(8, plane / chunk).arg(9, spec.dstStep());
    }
}
