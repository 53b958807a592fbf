package dev.convcl.opencl;

import dev.convcl.Arg;
import dev.convcl.RoiAlign;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import java.util.EnumMap;
import java.util.Map;
import org.jocl.CLException;

/**
 * {@code roi-align}: the kernel {@code roi_align.cl} for roi_align, ps_roi_align and
 * deform_roi_pool, one work-item per output element. It allocates nothing: a call's memory is
 * its tensors, whatever the number of RoIs. The RoI values were checked on the host by the plan
 * ({@link RoiAlign#checkRois}) before this enqueues.
 */
final class RoiAlignPlan implements Primitive {
    static final long LOCAL = 64;

    private final RoiAlign op;
    private final OpenClKernel kernel;
    private final Map<Arg, Memory> bound = new EnumMap<>(Arg.class);
    private final LaunchEvents events = new LaunchEvents();

    RoiAlignPlan(OpenClContext ctx, RoiAlign op) {
        this.op = op;
        this.kernel = ctx.programs().kernel("roi_align.cl", options(op).toString(), "roi_align");
    }

    /** The build options: element type, KIND, SHIFTED, HAS_OFFSET, HAS_MASK (see roi_align.cl). */
    static KernelOptions options(RoiAlign op) {
        return KernelOptions.of(op.dataType()).define("KIND", op.kind().ordinal())
                .define("SHIFTED", op.pixelShift() != 0f ? 1 : 0)
                .define("HAS_OFFSET", op.offset() ? 1 : 0).define("HAS_MASK", op.mask() ? 1 : 0);
    }

    @Override
    public String algorithm() {
        return "roi-align";
    }

    @Override
    public synchronized void bind(Arg role, Memory memory) {
        bound.put(role, memory);
    }

    @Override
    public synchronized void execute(Map<Arg, Memory> args) {
        Map<Arg, DeviceBuffer> b = KernelPrimitive.buffers(bound, args);
        try {
            int a = 0;
            kernel.arg(a++, b.get(Arg.SRC)).arg(a++, b.get(Arg.ROIS))
                    .arg(a++, KernelPrimitive.orElse(b, Arg.OFFSET, Arg.ROIS))
                    .arg(a++, KernelPrimitive.orElse(b, Arg.MASK, Arg.ROIS)).arg(a++, b.get(Arg.DST));
            kernel.arg(a++, op.n()).arg(a++, op.c()).arg(a++, op.h()).arg(a++, op.w()).arg(a++, op.rois())
                    .arg(a++, op.outC()).arg(a++, op.outH()).arg(a++, op.outW()).arg(a++, op.spatialScale())
                    .arg(a++, op.samplingRatio()).arg(a, op.gamma());
            long total = (long) op.rois() * op.outC() * op.outH() * op.outW();
            events.reset();
            events.add(kernel.launch(new long[] {DirectConvPlan.roundUp(total, LOCAL)}, new long[] {LOCAL}));
        } catch (CLException e) {
            throw OpenClErrors.translate("running roi-align for " + op, e);
        }
    }

    @Override
    public synchronized double lastKernelMillis() {
        return events.millis();
    }

    @Override
    public synchronized void close() {
        events.close();
        kernel.close();
        bound.clear();
    }
}
