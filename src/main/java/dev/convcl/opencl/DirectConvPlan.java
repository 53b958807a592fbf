package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_ONLY;
import static org.jocl.CL.CL_MEM_WRITE_ONLY;

import dev.convcl.ConvArgs;
import dev.convcl.ConvSpec;
import dev.convcl.spi.CompiledConv;
import java.util.ArrayList;
import java.util.List;
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

    private final OpenClContext ctx;
    private final ConvSpec spec;
    private final OpenClKernel kernel;
    private final DeviceBuffer input, weight, bias, offset, mask, output;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private double lastKernelMillis = Double.NaN;

    DirectConvPlan(OpenClContext ctx, ConvSpec spec) {
        this.ctx = ctx;
        this.spec = spec;
        try {
            String options = options(spec);
            kernel = own(spec.isDeformable()
                    ? ctx.programs().kernel("deform2d_direct.cl", options, "deform2d_direct")
                    : ctx.programs().kernel("conv2d_direct.cl", options, "conv2d_direct"));
            input = own(ctx.allocate("input", spec.inputSize() * 4, CL_MEM_READ_ONLY));
            weight = own(ctx.allocate("weight", spec.weightSize() * 4, CL_MEM_READ_ONLY));
            output = own(ctx.allocate("output", spec.outputSize() * 4, CL_MEM_WRITE_ONLY));
            bias = spec.bias() ? own(ctx.allocate("bias", (long) spec.k() * 4, CL_MEM_READ_ONLY)) : null;
            offset = spec.isDeformable() ? own(ctx.allocate("offset", spec.offsetSize() * 4, CL_MEM_READ_ONLY)) : null;
            mask = spec.mask() ? own(ctx.allocate("mask", spec.maskSize() * 4, CL_MEM_READ_ONLY)) : null;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
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
            input.write(args.input());
            weight.write(args.weight());
            if (bias != null) {
                bias.write(args.bias());
            }
            if (offset != null) {
                offset.write(args.offset());
            }
            if (mask != null) {
                mask.write(args.mask());
            }
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
            output.read(args.output());
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
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception ignored) {
                // closing is quiet
            }
        }
        owned.clear();
    }
}
