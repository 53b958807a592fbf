package dev.convcl.opencl;

import dev.convcl.Operation;

/**
 * A one-kernel plan of a network operation other than a convolution (channel affine, binary,
 * pooling, channel copy, channel shuffle, padding): a 1-D NDRange of one work-item per output
 * element or per vector of {@code VW} elements, its local size within the device's work-group
 * limit and its global size rounded up to a multiple of it (POCL has no non-uniform work-groups;
 * the kernels return past the last item).
 *
 * @param <T> the operation
 */
abstract class OpKernelPlan<T extends Operation> extends KernelPrimitive<T> {
    /** The largest local size used: enough work-items for a CPU device to vectorize across, few enough for any GPU. */
    static final long MAX_LOCAL = 64;

    private final String kernel;
    private final long items;
    private final long local;

    /**
     * Builds {@code kernel} of {@code file} with {@code options}, for {@code items} work-items.
     */
    OpKernelPlan(OpenClContext ctx, T op, String file, String kernel, KernelOptions options, long items) {
        this(ctx, op, file, kernel, options, items, localSize(ctx.info()));
    }

    /** As above with local size {@code local} (1 to {@link #localSize}). */
    OpKernelPlan(OpenClContext ctx, T op, String file, String kernel, KernelOptions options, long items, long local) {
        super(ctx, op, ctx.programs().kernel(file, options.toString(), kernel));
        if (local < 1 || local > localSize(ctx.info())) {
            throw new IllegalArgumentException("local size " + local + " must be 1 to " + localSize(ctx.info()));
        }
        this.kernel = kernel;
        this.items = items;
        this.local = local;
    }

    /** The local size: {@link #MAX_LOCAL}, or the largest power of two within the device's work-group limit. */
    static long localSize(OpenClDeviceInfo device) {
        return Math.min(MAX_LOCAL, Long.highestOneBit(Math.max(1, device.maxWorkGroup())));
    }

    /**
     * The vector width for runs of {@code run} elements: the device's native float vector width
     * (1 to 16), halved until it divides {@code run}, so a vector never crosses a run's end.
     */
    static int width(OpenClDeviceInfo device, long run) {
        int w = GemmDefaults.nativeWidth(device);
        while (w > 1 && run % w != 0) {
            w /= 2;
        }
        return w;
    }

    /** The implementation's name: the kernel's, with {@code -} for {@code _} ({@code channel_affine}: {@code channel-affine}). */
    @Override
    public final String algorithm() {
        return kernel.replace('_', '-');
    }

    /** The number of work-items the kernel computes for, its {@code int} bound argument (the kernels return past it). */
    final int items() {
        return (int) items;
    }

    @Override
    final long[] globalSize() {
        return new long[] {DirectConvPlan.roundUp(items, local)};
    }

    @Override
    final long[] localSize() {
        return new long[] {local};
    }
}
