package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Pad2d;
import java.util.Map;

/** {@code pad2d.cl}: constant padding of the last two axes, one output element per work-item. */
final class Pad2dPlan extends OpKernelPlan<Pad2d> {
    Pad2dPlan(OpenClContext ctx, Pad2d op) {
        super(ctx, op, "pad2d.cl", "pad2d", KernelOptions.of(op.dataType()).define("TOP", op.top())
                .define("LEFT", op.left()), (long) op.n() * op.c() * op.outH() * op.outW());
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.DST)).arg(2, spec.value()).arg(3, spec.h()).arg(4, spec.w())
                .arg(5, spec.outH()).arg(6, spec.outW()).arg(7, items());
    }
}
