package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.SqueezeExcitation;
import java.util.Map;

/**
 * {@code squeeze_excitation.cl}: a squeeze-and-excitation block's scale (or with apply its output) in one launch, a work-group
 * for a few images (their planes' means, then both 1x1 layers through local memory; on a CPU-like
 * device the batch shared out over the compute units, on a GPU one image a group), in vectors of
 * the device's native width on CPU-like devices and of 1 on GPUs. Its rule
 * ({@link #unsupported}): the pooled values and the squeeze outputs fit half the device's local
 * memory (with apply the scales then take the pooled values' place).
 */
final class SqueezeExcitationPlan extends OpKernelPlan<SqueezeExcitation> {
    SqueezeExcitationPlan(OpenClContext ctx, SqueezeExcitation op) {
        this(ctx, op, DeviceProfile.of(ctx.info()).cpuLike() ? GemmDefaults.nativeWidth(ctx.info()) : 1);
    }

    /** With vector width {@code vw} (1, 2, 4, 8 or 16; tests and the build check). */
    SqueezeExcitationPlan(OpenClContext ctx, SqueezeExcitation op, int vw) {
        this(ctx, op, vw, imagesPerGroup(ctx.info(), op));
    }

    /** With {@code nb} images a work-group (1 to n; tests). */
    SqueezeExcitationPlan(OpenClContext ctx, SqueezeExcitation op, int vw, int nb) {
        this(ctx, op, vw, nb, local(ctx.info(), op));
    }

    private SqueezeExcitationPlan(OpenClContext ctx, SqueezeExcitation op, int vw, int nb, long local) {
        super(ctx, op, "squeeze_excitation.cl", "squeeze_excitation", KernelOptions.of(op.dataType())
                .define("N", op.n()).define("NB", checkedImages(op, nb)).define("C", op.c())
                .define("S", op.squeeze()).define("HW", (long) op.h() * op.w()).define("VW", vw)
                .define("LOCAL", local).define("APPLY", op.apply() ? 1 : 0)
                .activation("ACT", op.activation()).activation("SCALE", op.scaleActivation()),
                (((long) op.n() + nb - 1) / nb) * local, local);
    }

    private static int checkedImages(SqueezeExcitation op, int nb) {
        if (nb < 1 || nb > op.n()) {
            throw new IllegalArgumentException("images a work-group nb=" + nb + " must be 1 to n=" + op.n());
        }
        return nb;
    }

    /**
     * Images a work-group computes: on a CPU-like device the batch shared out over the compute
     * units (each group reads the weights once; POCL runs a group on one core), as many as half
     * the local memory holds; on a GPU one (many small groups fill it better).
     */
    static int imagesPerGroup(OpenClDeviceInfo device, SqueezeExcitation op) {
        if (!DeviceProfile.of(device).cpuLike()) {
            return 1;
        }
        int units = Math.max(1, device.computeUnits());
        long fit = device.localMemBytes() / 2 / (((long) op.c() + op.squeeze()) * op.dataType().bytes());
        return (int) Math.max(1, Math.min(((long) op.n() + units - 1) / units, fit));
    }

    /** The work-group's size: enough work-items for the channels (a power of two), at most {@link #localSize}. */
    static long local(OpenClDeviceInfo device, SqueezeExcitation op) {
        long need = Long.highestOneBit(Math.max(op.c(), op.squeeze()) * 2L - 1);
        return Math.min(localSize(device), need);
    }

    /**
     * Why the device cannot run {@code op}, or null: its C + S local values must fit half the local
     * memory (with apply the scales take the pooled values' place: no more).
     */
    static String unsupported(OpenClDeviceInfo device, SqueezeExcitation op) {
        long bytes = ((long) op.c() + op.squeeze()) * op.dataType().bytes();
        return bytes * 2 > device.localMemBytes() ? "its " + bytes + " bytes of local values exceed half the device's "
                + device.localMemBytes() + " bytes of local memory" : null;
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.WEIGHTS)).arg(2, b.get(Arg.BIAS)).arg(3, b.get(Arg.FC2_WEIGHTS))
                .arg(4, b.get(Arg.FC2_BIAS)).arg(5, b.get(Arg.DST));
    }
}
