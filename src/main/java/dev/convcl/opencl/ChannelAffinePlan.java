package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.ChannelAffine;
import java.util.Map;

/**
 * {@code channel_affine.cl}: {@code post(x * scale[c] + shift[c])}, VW elements of one plane per
 * work-item; on a CPU-like device whose native width does not divide the plane, a whole plane per
 * work-item ({@code PLANE}: vectors, then the plane's last elements one by one), in work-groups
 * small enough to keep every core busy ({@link #planeLocal}).
 */
final class ChannelAffinePlan extends OpKernelPlan<ChannelAffine> {
    ChannelAffinePlan(OpenClContext ctx, ChannelAffine op) {
        this(ctx, op, wholePlanes(ctx.info(), op) ? GemmDefaults.nativeWidth(ctx.info())
                : width(ctx.info(), (long) op.h() * op.w()), wholePlanes(ctx.info(), op));
    }

    /** With vector width {@code vw} (1 to 16, dividing H*W; other widths only build, for the build check). */
    ChannelAffinePlan(OpenClContext ctx, ChannelAffine op, int vw) {
        this(ctx, op, vw, false);
    }

    /** With vector width {@code vw}, and with {@code plane} a whole (n, c) plane per work-item ({@code vw} need not divide it). */
    ChannelAffinePlan(OpenClContext ctx, ChannelAffine op, int vw, boolean plane) {
        super(ctx, op, "channel_affine.cl", "channel_affine", KernelOptions.of(op.dataType())
                .epilogue(false, op.postOps()).define("VW", vw).define("PLANE", plane ? 1 : 0),
                plane ? (long) op.n() * op.c() : op.size() / vw,
                plane ? planeLocal(ctx.info(), (long) op.n() * op.c()) : localSize(ctx.info()));
    }

    /**
     * The local size of the plane form: small enough that the planes make about four work-groups
     * per compute unit (POCL runs a work-group on one thread: 64 planes in one group of 64 would
     * leave all but one core idle), a power of two, at most {@link #localSize}.
     */
    static long planeLocal(OpenClDeviceInfo device, long planes) {
        long perGroup = Math.max(1, planes / (4L * Math.max(1, device.computeUnits())));
        return Math.min(localSize(device), Long.highestOneBit(perGroup));
    }

    /**
     * Whether a work-item takes a whole plane: on a CPU-like device (where a work-item's start costs
     * more than a few elements) whose native vector width does not divide the plane, which would
     * otherwise be cut into vectors of the largest width that does (one element on 17x17 maps),
     * and with at least two planes per compute unit, so that no core idles.
     */
    static boolean wholePlanes(OpenClDeviceInfo device, ChannelAffine op) {
        long plane = (long) op.h() * op.w();
        long planes = (long) op.n() * op.c();
        return DeviceProfile.of(device).cpuLike() && plane % GemmDefaults.nativeWidth(device) != 0
                && planes >= 2L * Math.max(1, device.computeUnits());
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.SCALE)).arg(2, b.get(Arg.SHIFT)).arg(3, orElse(b, Arg.SUM, Arg.SRC))
                .arg(4, b.get(Arg.DST)).arg(5, spec.c()).arg(6, spec.h() * spec.w()).arg(7, items());
    }
}
