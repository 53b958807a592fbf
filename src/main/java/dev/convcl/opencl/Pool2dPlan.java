package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.Pool2d;
import dev.convcl.Window2d;
import java.util.Map;

/** {@code pool2d.cl}: max and average pooling (global average pooling included), one output element per work-item. */
final class Pool2dPlan extends OpKernelPlan<Pool2d> {
    Pool2dPlan(OpenClContext ctx, Pool2d op) {
        super(ctx, op, "pool2d.cl", "pool2d", options(op), (long) op.n() * op.c() * op.outH() * op.outW());
    }

    static KernelOptions options(Pool2d op) {
        Window2d w = op.window();
        return KernelOptions.of(op.dataType()).define("POOL_MAX", op.kind() == Pool2d.Kind.MAX ? 1 : 0)
                .define("COUNT_INCLUDE_PAD", op.countIncludePad() ? 1 : 0).define("KH", w.kh()).define("KW", w.kw())
                .define("SH", w.strideH()).define("SW", w.strideW()).define("PH", w.padTop()).define("PW", w.padLeft())
                .define("PH_END", w.padBottom()).define("PW_END", w.padRight()).define("DH", w.dilH())
                .define("DW", w.dilW());
    }

    @Override
    void setArgs(OpenClKernel k, Map<Arg, DeviceBuffer> b) {
        k.arg(0, b.get(Arg.SRC)).arg(1, b.get(Arg.DST)).arg(2, spec.h()).arg(3, spec.w()).arg(4, spec.outH())
                .arg(5, spec.outW()).arg(6, items());
    }
}
