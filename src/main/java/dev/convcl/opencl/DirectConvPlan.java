package dev.convcl.opencl;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;
import org.jocl.CLException;
import org.jocl.cl_event;

/**
 * The direct kernels ({@code conv2d_direct.cl}, {@code deform2d_direct.cl}): one work-item per
 * output element. Buffers are allocated once at compile time; a call writes the inputs, launches
 * and reads the output back.
 */
final class DirectConvPlan implements CompiledConv {
    private static final long LX = 8;
    private static final long LY = 8;

    private final ConvSpec spec;
    private final OpenClKernel kernel;
    private final PlanBuffers buffers;
    private double lastKernelMillis = Double.NaN;

    DirectConvPlan(OpenClContext ctx, ConvSpec spec) {
        this.spec = spec;
        String options = options(spec);
        this.kernel = spec.isDeformable()
                ? ctx.programs().kernel("deform2d_direct.cl", options, "deform2d_direct")
                : ctx.programs().kernel("conv2d_direct.cl", options, "conv2d_direct");
        try {
            this.buffers = new PlanBuffers(ctx, spec);
        } catch (RuntimeException e) {
            kernel.close();
            throw e;
        }
    }

    static String options(ConvSpec s) {
        StringBuilder o = new StringBuilder("-cl-std=CL1.2");
        o.append(" -DKH=").append(s.kh()).append(" -DKW=").append(s.kw())
                .append(" -DSH=").append(s.strideH()).append(" -DSW=").append(s.strideW())
                .append(" -DPH=").append(s.padH()).append(" -DPW=").append(s.padW())
                .append(" -DDH=").append(s.dilH()).append(" -DDW=").append(s.dilW())
                .append(" -DCG=").append(s.cPerGroup()).append(" -DKG=").append(s.kPerGroup())
                .append(" -DHAS_BIAS=").append(s.bias() ? 1 : 0).append(" -DRELU=").append(s.relu() ? 1 : 0);
        if (s.isDeformable()) {
            o.append(" -DOG=").append(s.offsetGroups()).append(" -DHAS_MASK=").append(s.mask() ? 1 : 0);
        }
        return o.toString();
    }

    @Override
    public String algorithm() {
        return spec.isDeformable() ? "deform-direct" : "direct";
    }

    @Override
    public synchronized void execute(ConvArgs args) {
        try {
            buffers.upload(args);
            DeviceBuffer input = buffers.input, weight = buffers.weight, bias = buffers.bias;
            DeviceBuffer offset = buffers.offset, mask = buffers.mask, output = buffers.output;
            int a = 0;
            kernel.arg(a++, input);
            if (spec.isDeformable()) {
                kernel.arg(a++, offset);
                kernel.arg(a++, mask != null ? mask : input);
            }
            kernel.arg(a++, weight);
            kernel.arg(a++, bias != null ? bias : weight);
            kernel.arg(a++, output);
            kernel.arg(a++, spec.n()).arg(a++, spec.c()).arg(a++, spec.h()).arg(a++, spec.w())
                    .arg(a++, spec.k()).arg(a++, spec.outH()).arg(a, spec.outW());
            long[] global = {roundUp(spec.outW(), LX), roundUp(spec.outH(), LY), (long) spec.n() * spec.k()};
            cl_event ev = kernel.launch(global, new long[] {LX, LY, 1});
            buffers.download(args);
            lastKernelMillis = OpenClKernel.elapsedMillisAndRelease(ev);
        } catch (CLException e) {
            throw OpenClErrors.translate("running " + algorithm() + " for " + spec, e);
        }
    }

    @Override
    public double lastDeviceMillis() {
        return lastKernelMillis;
    }

    static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }

    @Override
    public void close() {
        buffers.close();
        kernel.close();
    }
}
